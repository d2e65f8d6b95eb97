from django import forms


class MemberAddForm(forms.Form):
    who = forms.CharField(
        label="Username or email address",
        max_length=254,
        help_text="An account on this site joins at once; an email address without one gets an invitation.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
