"""Why a field needs a look, in the reviewer's language.

The record checks (services.domain) give their reasons in English words, some with a value in
them ("looks misread: 29B1-123.45?"); each known reason is matched here and said in Vietnamese or
English, the value kept as it is. A reason this table does not know is shown as it came.
"""

from __future__ import annotations

import re

# (pattern, Vietnamese, English): {0}, {1}... are the pattern's groups.
REASONS: tuple[tuple[str, str, str], ...] = (
    (r"missing", "Thiếu: thẻ nào cũng in trường này", "Missing: every card prints this field"),
    (r"label not found", "Không tìm thấy nhãn của trường này trên thẻ", "Its label was not found on the card"),
    (r"nothing read", "Không đọc được giá trị", "Nothing could be read"),
    (r"empty", "Trống", "Empty"),
    (r"front and back disagree", "Mặt trước và mặt sau khác nhau", "Front and back disagree"),
    (r"first registration after the issue date", "Ngày đăng ký lần đầu sau ngày cấp",
     "First registration after the issue date"),
    (r"made after its first registration", "Năm sản xuất sau lần đăng ký đầu", "Made after its first registration"),
    (r"plate prefix (\w+) is not the issuing province's \((\w+)\)",
     "Đầu biển số {0} không phải của tỉnh cấp ({1})", "Plate prefix {0} is not the issuing province's ({1})"),
    (r"looks misread: (.*)\?", "Có vẻ đọc sai, có thể là: {0}", "Looks misread; perhaps: {0}"),
    (r"not a date", "Không phải ngày tháng", "Not a date"),
    (r"year (\d+) out of range", "Năm {0} không hợp lý", "Year {0} is out of range"),
    (r"a year has four digits", "Năm phải có bốn chữ số", "A year has four digits"),
    (r"not a number", "Không phải số", "Not a number"),
    (r"no number", "Không có số", "No number"),
    (r"no digit", "Không có chữ số", "No digit"),
    (r"(.+) is outside (.+)", "{0} nằm ngoài khoảng {1}", "{0} is outside {1}"),
    (r"(\d+) digits \((.+) expected\)", "{0} chữ số (cần {1})", "{0} digits ({1} expected)"),
    (r"(\d+) characters \((.+) expected\)", "{0} ký tự (cần {1})", "{0} characters ({1} expected)"),
    (r"(\d+) digits after the series \((.+) expected\)", "{0} chữ số sau sê-ri (cần {1})",
     "{0} digits after the series ({1} expected)"),
    (r"no province has plate prefix (\w+)", "Không tỉnh nào có đầu biển số {0}", "No province has plate prefix {0}"),
    (r"not one of the printed plate forms", "Không đúng dạng biển số", "Not one of the printed plate forms"),
    (r"a plate is digits, a series, then digits", "Biển số gồm số, sê-ri rồi số",
     "A plate is digits, a series, then digits"),
    (r"too short for a plate", "Quá ngắn để là biển số", "Too short for a plate"),
    (r"too short for an address", "Quá ngắn để là địa chỉ", "Too short for an address"),
    (r"too long for a model", "Quá dài để là số loại", "Too long for a model"),
    (r"not in the list of known values", "Không có trong danh sách đã biết", "Not in the list of known values"),
    (r"not a known value", "Không phải giá trị đã biết", "Not a known value"),
    (r"not a colour word.*", "Không phải tên màu", "Not a colour word"),
    (r"no province in the issuing unit", "Nơi cấp không ghi tỉnh", "No province in the issuing unit"),
    (r"an issuing unit names the police \(Công an, CSGT\)", "Nơi cấp phải là đơn vị công an (Công an, CSGT)",
     "An issuing unit names the police (Công an, CSGT)"),
    (r"a full name has at least two words", "Họ tên có ít nhất hai từ", "A full name has at least two words"),
    (r"not Vietnamese syllables: (.*)", "Không phải âm tiết tiếng Việt: {0}", "Not Vietnamese syllables: {0}"),
    (r"no official (.*)", "Không khớp đơn vị hành chính chính thức ({0})", "No official {0}"),
)
_COMPILED = [(re.compile(pattern + r"$"), vi, en) for pattern, vi, en in REASONS]


def in_words(reason: str, language: str) -> str:
    """Every part of a reason ("a; b") said in the language."""
    parts = []
    for part in (p.strip() for p in reason.split(";") if p.strip()):
        for pattern, vi, en in _COMPILED:
            match = pattern.match(part)
            if match:
                parts.append((vi if language == "vi" else en).format(*match.groups()))
                break
        else:
            parts.append(part)
    return "; ".join(parts)
