"""Forms of the review pages: a review (stars and text) and a tutor's reply.

The services check everything again; the forms give the page its widgets and field errors.
"""

from __future__ import annotations

from django import forms

from marketplace.services.reviews import RATING_MAX, RATING_MIN, REPLY_MAX, TEXT_MAX, TEXT_MIN

STARS = [
    (value, f"{value} star{'s' if value > 1 else ''}")
    for value in range(RATING_MAX, RATING_MIN - 1, -1)
]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Your rating",
        choices=STARS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose from 1 to 5 stars."},
    )
    text = forms.CharField(
        label="Your review",
        min_length=TEXT_MIN,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"What went well, what could be better ({TEXT_MIN} to {TEXT_MAX} characters). "
        "It is published with your first name and initial.",
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Your reply",
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Published under the review. You can reply once.",
    )
