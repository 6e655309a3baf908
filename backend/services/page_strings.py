"""English and Malay wording for the sign-in and account pages (one dict per language)."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "ms")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "brand": "PERKESO ASSIST portal",
        "switch_label": "Bahasa Melayu",
        "switch_lang": "ms",
        "logout": "Log out",
        "login_title": "Log in to ASSIST",
        "login_email": "ID (your email address)",
        "login_password": "Password",
        "login_hint": "The first time, use the temporary password from the activation email "
        "(check your spam folder if you cannot find it).",
        "login_button": "Log in",
        "logged_out": "You have logged out.",
        "bad_credentials": "The email or password is not correct.",
        "tries_left": "You have {n} tries left.",
        "try_left": "You have 1 try left.",
        "locked": "Too many wrong attempts. Try again in {minutes} minutes.",
        "np_title": "Choose a new password",
        "np_intro": "You logged in with a temporary password. Choose your own password and "
        "accept the terms of use to continue.",
        "np_errors": "Please correct the following:",
        "np_new": "New password",
        "np_hint": "At least {n} characters.",
        "np_confirm": "New password again",
        "terms_title": "Terms of use",
        "terms_1": "This account is for the employer named in your application and for people "
        "it authorises.",
        "terms_2": "Keep your password secret. You are responsible for what is done with your ID.",
        "terms_3": "Information you give must be true and complete; PERKESO may verify it.",
        "terms_4": "Personal data is processed under the Personal Data Protection Act 2010 to "
        "administer the Employees' Social Security Act 1969 and the Employment Insurance "
        "System Act 2017.",
        "terms_5": "Submitting contributions here does not replace paying them by the due date "
        "(the 15th of the following month).",
        "agree": "I Agree to the terms of use",
        "np_button": "I Agree and save password",
        "too_short": "The new password must have at least {n} characters.",
        "mismatch": "The two passwords are not the same.",
        "same_as_temporary": "Choose a password different from the temporary one.",
        "must_agree": 'Tick "I Agree" to accept the terms of use.',
        "account_title": "My account",
        "welcome": "Your password is saved and the terms are accepted.",
        "details": "My details",
        "name": "Name",
        "id_email": "ID (email)",
        "mykad": "MyKad",
        "mobile": "Mobile",
        "company": "Company",
        "position": "Position",
        "terms_status": "Terms of use",
        "terms_accepted_on": "Accepted on {date}",
        "terms_not_accepted": "Not yet accepted",
        "application": "Portal ID application",
        "reference": "Reference",
        "date": "Date",
        "status": "Status",
        "form": "Form",
        "download_form": "Download the form (PDF)",
        "status_submitted": "Submitted",
        "history": "History",
        "uploads": "Uploads",
        "payments": "Payments",
        "nothing_yet": "Nothing yet.",
        "csrf_title": "Please try again",
        "csrf_message": "This form expired or did not come from this site. Reload the page and "
        "submit it again.",
        "back_to_login": "Back to log in",
    },
    "ms": {
        "brand": "Portal ASSIST PERKESO",
        "switch_label": "English",
        "switch_lang": "en",
        "logout": "Log keluar",
        "login_title": "Log masuk ke ASSIST",
        "login_email": "ID (alamat e-mel anda)",
        "login_password": "Kata laluan",
        "login_hint": "Kali pertama, gunakan kata laluan sementara daripada e-mel pengaktifan "
        "(semak folder spam jika anda tidak menjumpainya).",
        "login_button": "Log masuk",
        "logged_out": "Anda telah log keluar.",
        "bad_credentials": "E-mel atau kata laluan tidak betul.",
        "tries_left": "Anda ada {n} cubaan lagi.",
        "try_left": "Anda ada 1 cubaan lagi.",
        "locked": "Terlalu banyak cubaan salah. Cuba lagi dalam {minutes} minit.",
        "np_title": "Pilih kata laluan baharu",
        "np_intro": "Anda log masuk dengan kata laluan sementara. Pilih kata laluan anda sendiri "
        "dan terima terma penggunaan untuk meneruskan.",
        "np_errors": "Sila betulkan perkara berikut:",
        "np_new": "Kata laluan baharu",
        "np_hint": "Sekurang-kurangnya {n} aksara.",
        "np_confirm": "Kata laluan baharu sekali lagi",
        "terms_title": "Terma penggunaan",
        "terms_1": "Akaun ini untuk majikan yang dinamakan dalam permohonan anda dan orang yang "
        "diberi kuasa olehnya.",
        "terms_2": "Rahsiakan kata laluan anda. Anda bertanggungjawab atas apa yang dilakukan "
        "dengan ID anda.",
        "terms_3": "Maklumat yang diberikan mestilah benar dan lengkap; PERKESO boleh "
        "mengesahkannya.",
        "terms_4": "Data peribadi diproses di bawah Akta Perlindungan Data Peribadi 2010 untuk "
        "mentadbir Akta Keselamatan Sosial Pekerja 1969 dan Akta Sistem Insurans Pekerjaan "
        "2017.",
        "terms_5": "Menghantar caruman di sini tidak menggantikan pembayarannya sebelum tarikh "
        "akhir (15 haribulan berikutnya).",
        "agree": "Saya Setuju (I Agree) dengan terma penggunaan",
        "np_button": "Setuju dan simpan kata laluan",
        "too_short": "Kata laluan baharu mesti sekurang-kurangnya {n} aksara.",
        "mismatch": "Kedua-dua kata laluan tidak sama.",
        "same_as_temporary": "Pilih kata laluan yang berbeza daripada kata laluan sementara.",
        "must_agree": 'Tandakan "Saya Setuju" untuk menerima terma penggunaan.',
        "account_title": "Akaun saya",
        "welcome": "Kata laluan anda disimpan dan terma telah diterima.",
        "details": "Maklumat saya",
        "name": "Nama",
        "id_email": "ID (e-mel)",
        "mykad": "MyKad",
        "mobile": "Telefon bimbit",
        "company": "Syarikat",
        "position": "Jawatan",
        "terms_status": "Terma penggunaan",
        "terms_accepted_on": "Diterima pada {date}",
        "terms_not_accepted": "Belum diterima",
        "application": "Permohonan ID Portal",
        "reference": "Rujukan",
        "date": "Tarikh",
        "status": "Status",
        "form": "Borang",
        "download_form": "Muat turun borang (PDF)",
        "status_submitted": "Dihantar",
        "history": "Sejarah",
        "uploads": "Muat naik",
        "payments": "Bayaran",
        "nothing_yet": "Tiada lagi.",
        "csrf_title": "Sila cuba lagi",
        "csrf_message": "Borang ini telah tamat tempoh atau bukan dari laman ini. Muat semula "
        "halaman dan hantar sekali lagi.",
        "back_to_login": "Kembali ke log masuk",
    },
}


def strings(language: str) -> dict[str, str]:
    return STRINGS.get(language, STRINGS["en"])


def say(language: str, key: str, **params: Any) -> str:
    return strings(language)[key].format(**params)
