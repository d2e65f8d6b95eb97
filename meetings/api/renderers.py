"""The browsable API for people who open an endpoint in a browser: the JSON, and a raw JSON form.

DRF's BrowsableAPIRenderer builds a filter form from `view.get_queryset()` and HTML forms from
`view.get_serializer()`; clubsite's API views have neither (each method validates with its own
serializer through `ApiView.query` / `ApiView.body`, and reads go through the selectors), so those
two parts are left out: the query parameters are documented at /api/v1/docs/, and writes are
offered as a raw JSON body, which is what the API accepts.
"""

from django import forms
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import override_method


class ApiBrowsableRenderer(BrowsableAPIRenderer):
    def get_filter_form(self, data, view, request):
        return None

    def get_rendered_html_form(self, data, view, method, request):
        return None

    def get_raw_data_form(self, data, view, method, request):
        with override_method(view, request, method) as request:
            if not self.show_form_for_method(view, method, request, None):
                return None
        media_types = [parser.media_type for parser in view.parser_classes]

        class RawContentForm(forms.Form):
            _content_type = forms.ChoiceField(
                label="Media type",
                choices=[(media_type, media_type) for media_type in media_types],
                initial=media_types[0],
                widget=forms.Select(attrs={"data-override": "content-type"}),
            )
            _content = forms.CharField(
                label="Content", widget=forms.Textarea(attrs={"data-override": "content"}), initial="{}"
            )

        return RawContentForm()
