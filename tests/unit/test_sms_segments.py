"""SMS segment counting: GSM-7 or UCS-2, 160/70 in one message, 153/67 per concatenated part."""

from __future__ import annotations

import pytest

from goteo.content.sms_segments import GSM7, UCS2, is_gsm7, sms_length


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", GSM7, 0, 0),
        ("Hello", GSM7, 5, 1),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        ("Price: 10€", GSM7, 11, 1),  # € is in the extension table: two places
        ("€" * 80, GSM7, 160, 1),
        ("€" * 81, GSM7, 162, 2),
        # 306 places would fill two parts, but € does not fit the first part's last place
        ("a" * 152 + "€" + "a" * 152, GSM7, 306, 3),
        ("¡Hola, Ñandú! ¿Qué tal?", UCS2, 23, 1),  # ú and á are not in GSM-7
        ("Привет", UCS2, 6, 1),
        ("ż" * 70, UCS2, 70, 1),
        ("ż" * 71, UCS2, 71, 2),
        ("ż" * 134, UCS2, 134, 2),
        ("ż" * 135, UCS2, 135, 3),
        ("😀", UCS2, 2, 1),  # outside the BMP: a surrogate pair
        ("a" * 66 + "😀" + "a" * 4, UCS2, 72, 2),  # the pair is not split across parts
    ],
)
def test_known_lengths(text: str, encoding: str, units: int, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_gsm7_alphabet_includes_its_accents_and_excludes_others() -> None:
    assert is_gsm7("àèéìòùÄÖÑÜäöñüßÉÇ@£$¥")
    assert not is_gsm7("á")
    assert not is_gsm7("ç")  # only the capital Ç is in GSM-7
    assert not is_gsm7("\x1b")  # the escape itself is not a character one can write


def test_per_segment_room() -> None:
    assert sms_length("a").per_segment == 160
    assert sms_length("a" * 200).per_segment == 153
    assert sms_length("ж" * 100).per_segment == 67
