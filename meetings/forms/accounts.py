from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import UsernameField

from meetings.models import Series

User = get_user_model()


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "email", "notify_minutes", "notify_assignments", "notify_speaker"]
        help_texts = {"email": "Used for invitations, password resets and notifications."}

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip()
        if email and User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another account already uses this email address.")
        return email


class InvitationForm(forms.Form):
    email = forms.EmailField(help_text="We email them a link to choose a password.")
    series = forms.ModelChoiceField(
        queryset=Series.objects.none(),
        required=False,
        help_text="They become a member of this series.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Series.objects.all() if user.is_staff else user.organised_series.all()
        self.fields["series"].queryset = qs.order_by("name")


class InvitationAcceptForm(forms.Form):
    username = UsernameField(max_length=150, help_text="Letters, digits and @/./+/-/_ only.")
    display_name = forms.CharField(
        max_length=150, required=False, help_text="How your name appears, e.g. Ada Lovelace."
    )
    password1 = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean_username(self):
        username = self.cleaned_data["username"]
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken; please choose another.")
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            candidate = User(
                username=data.get("username", ""), email=self.email, display_name=data.get("display_name", "")
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
