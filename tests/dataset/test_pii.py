"""Lesson 04: PII redaction finds e-mails, IBANs, card numbers, IPv4 addresses and phone numbers,
each with its own placeholder and count, and leaves ids, prices, dates and look-alikes alone."""

import pytest

from course_utils.dataset.pii import iban_valid, luhn_valid, redact_pii, redact_text
from row_builders import row


def test_redact_text_finds_emails_and_phones_but_not_order_ids_or_prices():
    text = ("Reach me at jane.doe42@example.com or +44 7700 900123, or (212) 555-0147. "
            "Order ORD-48291 cost $129 on 2024-05-01; call 415-555-0199.")
    out, found = redact_text(text)
    assert found == {"email": 1, "phone": 3}
    assert "ORD-48291" in out and "$129" in out and "2024-05-01" in out
    assert "@" not in out and "7700" not in out


@pytest.mark.parametrize("text, kind", [
    ("4111 1111 1111 1111", "card"), ("4111-1111-1111-1111", "card"), ("5500005555555559", "card"),
    ("3782 822463 10005", "card"), ("6011 0009 9013 9424", "card"),
    ("GB82 WEST 1234 5698 7654 32", "iban"), ("DE89370400440532013000", "iban"),
    ("FR14 2004 1010 0505 0001 3M02 606", "iban"), ("192.168.1.24", "ip"), ("10.0.0.7", "ip"),
    ("+33 1 23 45 67 89", "phone"), ("(0)20 7946 0958", "phone"), ("+4915112345678", "phone"),
    ("J.O'Neill@Example.IE", "email"), ("maria.lopez+orders@mail.co.uk", "email"),
])
def test_each_kind_gets_its_own_placeholder(text, kind):
    out, found = redact_text(f"Details: {text}, thanks")
    assert out == f"Details: [{kind.upper()}], thanks" and found == {kind: 1}


@pytest.mark.parametrize("text", [
    "ORD-48291", "$1,299.00", "2024-05-01 10:30", "01.05.2024", "v2.14.3", "1.2.3.4.5",
    "ref 1234 5678 9012 3455",          # 16 digits that fail the Luhn check
    "GB82 WEST 1234 5698 7654 33",      # an IBAN with one digit wrong: not an IBAN
    "999.168.1.1", "sizes 2 10 12 14 16", "Invoice 20240501-7781", "1Z999AA10123456784",
])
def test_look_alikes_are_not_redacted_as_what_they_are_not(text):
    out, found = redact_text(text)
    assert "card" not in found and "iban" not in found and "ip" not in found
    if text.startswith("GB82"):  # its digits still read as a phone number: redacted, not as an IBAN
        assert found == {"phone": 1}
    else:
        assert out == text and not found


def test_an_iban_running_into_capitals_keeps_the_capitals():
    assert redact_text("IBAN GB82WEST12345698765432 THANKS") == ("IBAN [IBAN] THANKS", {"iban": 1})


def test_checksums_on_known_numbers():
    assert luhn_valid("4111111111111111") and luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112") and not luhn_valid("79927398710")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and iban_valid("gb82west12345698765432")
    assert not iban_valid("GB82 WEST 1234 5698 7654 31") and not iban_valid("GB82")


def test_redact_pii_changes_copies_and_says_what_it_redacted():
    text = "Mail jo.k@example.com or call 07700 900123; card 4111 1111 1111 1111 from 10.0.0.7."
    original = row("p", text)
    rows, changed = redact_pii([original, row("q", "nothing here")])
    assert [(r["id"], why) for r, why in changed] == [("p", "1 card, 1 email, 1 ip, 1 phone")]
    assert rows[0]["messages"][1]["content"] == "Mail [EMAIL] or call [PHONE]; card [CARD] from [IP]."
    assert rows[1]["messages"][1]["content"] == "nothing here"
    assert original["messages"][1]["content"] == text  # the input row is not modified
