"""Vietnamese personal names and street names, with their diacritics (NFC).

Used to invent owners and addresses for synthetic certificates: every person made from these
lists is fictional. Surname weights follow the well-known shares (Nguyễn ~38 %, Trần ~11 %,
Lê ~9.5 %, ...), rounded.
"""

from __future__ import annotations

from typing import Mapping

SURNAME_WEIGHTS: Mapping[str, float] = {
    "Nguyễn": 38.0, "Trần": 11.0, "Lê": 9.5, "Phạm": 7.1, "Hoàng": 3.5, "Huỳnh": 2.0, "Phan": 4.5,
    "Vũ": 2.0, "Võ": 1.9, "Đặng": 2.1, "Bùi": 2.0, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1.0,
    "Lý": 0.5, "Đinh": 0.6, "Đoàn": 0.5, "Trịnh": 0.4, "Lương": 0.4, "Mai": 0.4, "Cao": 0.4,
    "Tạ": 0.3, "Lâm": 0.3, "Hà": 0.3, "Tô": 0.2, "Châu": 0.2, "Thái": 0.2, "Quách": 0.1,
    "Kiều": 0.1, "Triệu": 0.2, "Khổng": 0.05, "Lục": 0.05, "Nông": 0.1, "Âu": 0.05, "Ứng": 0.03,
    "Phùng": 0.2, "Tăng": 0.1, "Văn": 0.1, "Chu": 0.1, "Diệp": 0.05, "La": 0.05,
}

MALE_MIDDLE: tuple[str, ...] = (
    "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công", "Đình", "Xuân", "Ngọc", "Quang", "Anh",
    "Hoàng", "Trọng", "Thanh", "Mạnh", "Tuấn", "Việt", "Bá", "Duy", "Tiến", "Gia", "Nhật", "Khắc",
)
FEMALE_MIDDLE: tuple[str, ...] = (
    "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Bảo", "Diệu", "Phương", "Hồng", "Mỹ", "Thùy",
    "Khánh", "Hoài", "Tuyết", "Ánh", "Huyền", "Như", "Quỳnh", "Hải",
)
MALE_GIVEN: tuple[str, ...] = (
    "An", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Giang", "Hải", "Hiếu", "Hòa", "Hoàng", "Hùng",
    "Huy", "Khánh", "Khoa", "Kiên", "Lâm", "Long", "Lộc", "Mạnh", "Minh", "Nam", "Nghĩa", "Phong",
    "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Thịnh", "Toàn", "Trung", "Tuấn",
    "Tùng", "Việt", "Vinh", "Vũ", "Dương", "Hưng", "Hiển", "Lực", "Nguyên", "Phước", "Quý", "Sang",
    "Tâm", "Thuận", "Trí", "Trường", "Tú", "Tường", "Ước", "Định", "Khải", "Lượng", "Nhân",
    "Đông", "Hậu", "Kỳ", "Luân", "Ngọc", "Tiến", "Tín", "Vĩnh", "Xuân", "Yên",
)
FEMALE_GIVEN: tuple[str, ...] = (
    "Anh", "Ánh", "Bích", "Chi", "Diệp", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền",
    "Hoa", "Hồng", "Hương", "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân",
    "Ngọc", "Nhung", "Oanh", "Phương", "Quyên", "Quỳnh", "Tâm", "Thảo", "Thơ", "Thu", "Thủy",
    "Trang", "Trâm", "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến", "Nguyệt", "Thư", "Khuê",
    "Nhi", "Ly", "Diễm", "Hậu", "Lụa", "Mỹ", "Ngát", "Phượng", "Sương", "Thắm", "Tươi",
)

# Streets named after historical figures and places, found in most Vietnamese towns.
STREETS: tuple[str, ...] = (
    "Lê Lợi", "Nguyễn Trãi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
    "Hùng Vương", "Nguyễn Huệ", "Lê Duẩn", "Phan Đình Phùng", "Nguyễn Du", "Lê Lai", "Trần Phú",
    "Nguyễn Văn Cừ", "Điện Biên Phủ", "Cách Mạng Tháng Tám", "Võ Thị Sáu", "Nguyễn Thị Minh Khai",
    "Lê Thánh Tông", "Phan Chu Trinh", "Phan Bội Châu", "Ngô Quyền", "Lý Tự Trọng", "Bà Triệu",
    "Nguyễn Văn Linh", "Hoàng Văn Thụ", "Trường Chinh", "Tôn Đức Thắng", "Nguyễn Đình Chiểu",
    "Đinh Tiên Hoàng", "Lê Hồng Phong", "Trần Quốc Toản", "Chu Văn An", "Nguyễn Chí Thanh",
    "Láng Hạ", "Giải Phóng", "Kim Mã", "Xã Đàn", "Bạch Đằng", "Yersin", "Ba Tháng Hai",
    "Lạc Long Quân", "Âu Cơ", "Nguyễn Khuyến", "Tô Hiến Thành", "Hàm Nghi", "Nguyễn Tri Phương",
    "Trần Não", "Lê Văn Sỹ", "Phạm Văn Đồng", "Võ Văn Kiệt", "Mạc Đĩnh Chi", "Yết Kiêu",
)

# Words that name a hamlet or block inside a ward, by region of use.
HAMLET_WORDS: tuple[str, ...] = ("Thôn", "Xóm", "Ấp", "Tổ", "Khu phố", "Bản", "Khóm", "Tổ dân phố", "Khu")
HAMLET_NAMES: tuple[str, ...] = (
    "Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Tân Lập", "Tân Hòa", "Phú Mỹ", "An Phú",
    "Bình An", "Thống Nhất", "Đoàn Kết", "Quyết Tiến", "Thắng Lợi", "Nà Sản", "Mường",
    "Vĩnh Hưng", "Long Thạnh", "Mỹ Hòa", "Phước Lộc", "Thạnh Lợi",
)
