"""Lesson 04: PII redaction finds e-mails and phone numbers, and leaves ids, prices and dates."""

from course_utils.dataset.pii import redact_pii, redact_text
from row_builders import row


def test_redact_text_finds_emails_and_phones_but_not_order_ids_or_prices():
    text = ("Reach me at jane.doe42@example.com or +44 7700 900123, or (212) 555-0147. "
            "Order ORD-48291 cost $129 on 2024-05-01; call 415-555-0199.")
    out, found = redact_text(text)
    assert found == {"email": 1, "phone": 3}
    assert "ORD-48291" in out and "$129" in out and "2024-05-01" in out
    assert "@" not in out and "7700" not in out


def test_redact_pii_changes_copies_and_says_what_it_redacted():
    text = "Mail jo.k@example.com or call 07700 900123."
    original = row("p", text)
    rows, changed = redact_pii([original, row("q", "nothing here")])
    assert [(r["id"], why) for r, why in changed] == [("p", "1 email, 1 phone")]
    assert rows[0]["messages"][1]["content"] == "Mail [EMAIL] or call [PHONE]."
    assert rows[1]["messages"][1]["content"] == "nothing here"
    assert original["messages"][1]["content"] == text  # the input row is not modified
