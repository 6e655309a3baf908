# ruff: noqa: E501 -- a phrase table: the English keys are whole sentences
"""The staff console in English and Malay: ``t(text)`` in the templates, keyed by the English text.

The language is the ``assist_staff_lang`` cookie (``/staff/language?to=ms``); a phrase missing
here shows in English rather than failing, and ``tests/backend/test_staff_language.py`` checks
every ``t("…")`` used in the staff templates has its Malay line.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

LANG_COOKIE = "assist_staff_lang"
LANGUAGES = ("en", "ms")

MALAY: dict[str, str] = {
    # layout
    "Staff console": "Konsol kakitangan",
    "staff console": "konsol kakitangan",
    "ASSIST helpline": "Talian bantuan ASSIST",
    "Skip to content": "Langkau ke kandungan",
    "Look-up": "Carian",
    "Handoffs": "Serahan",
    "Assisted chat": "Sembang dibantu",
    "Dashboard": "Papan pemuka",
    "Audit log": "Log audit",
    "Sign out": "Log keluar",
    "agent": "ejen",
    "supervisor": "penyelia",
    "Language": "Bahasa",
    # sign-in
    "Staff sign-in": "Log masuk kakitangan",
    "Email address": "Alamat e-mel",
    "Password": "Kata laluan",
    "Sign in": "Log masuk",
    "You have signed out.": "Anda telah log keluar.",
    "The email address or password is not correct.": "Alamat e-mel atau kata laluan tidak betul.",
    "Too many failed sign-ins. Try again in {minutes} minutes.": (
        "Terlalu banyak percubaan log masuk yang gagal. Cuba lagi dalam {minutes} minit."
    ),
    # messages
    "Back to look-up": "Kembali ke carian",
    "Not allowed": "Tidak dibenarkan",
    "Not found": "Tidak dijumpai",
    "Form expired": "Borang telah tamat tempoh",
    "Only supervisors can read the audit log.": "Hanya penyelia boleh membaca log audit.",
    "Only supervisors can see the dashboard.": "Hanya penyelia boleh melihat papan pemuka.",
    "There is no such ticket.": "Tiket itu tidak wujud.",
    "The form expired or did not come from this console. Go back, reload and try again.": (
        "Borang telah tamat tempoh atau bukan daripada konsol ini. Kembali, muat semula dan "
        "cuba lagi."
    ),
    # look-up
    "Employer code, SSM number, employer name, MyKad, passport or SSFW number": (
        "Kod majikan, nombor SSM, nama majikan, MyKad, pasport atau nombor SSFW"
    ),
    "Every look-up is recorded in the audit log.": "Setiap carian direkodkan dalam log audit.",
    "Search": "Cari",
    "Employers": "Majikan",
    "Employer": "Majikan",
    "Code": "Kod",
    "SSM / registration no.": "SSM / no. pendaftaran",
    "Status": "Status",
    "No employer matches.": "Tiada majikan yang sepadan.",
    "Employees": "Pekerja",
    "Name": "Nama",
    "ID": "ID",
    "No employee matches.": "Tiada pekerja yang sepadan.",
    # employer page
    "Registration status": "Status pendaftaran",
    "Employer code": "Kod majikan",
    "not yet issued": "belum dikeluarkan",
    "Draft reference": "Rujukan draf",
    "Email": "E-mel",
    "Start": "Mula",
    "reveal": "dedahkan",
    "Reveal the ID (audited)": "Dedahkan ID (diaudit)",
    "No employees registered.": "Tiada pekerja berdaftar.",
    "Contributions": "Caruman",
    "Months submitted": "Bulan dihantar",
    "Months pending": "Bulan belum dihantar",
    "Months still owed": "Bulan yang masih tertunggak",
    "{month}: due {due}": "{month}: perlu dihantar sebelum {due}",
    "overdue": "lewat",
    "none": "tiada",
    "Month": "Bulan",
    "Type": "Jenis",
    "Payments and receipts": "Bayaran dan resit",
    "Order": "Pesanan",
    "Amount (RM)": "Jumlah (RM)",
    "State": "Keadaan",
    "For": "Untuk",
    "Receipt": "Resit",
    "re-send by email": "hantar semula melalui e-mel",
    "No payments.": "Tiada bayaran.",
    "Letters": "Surat",
    "No letters yet.": "Belum ada surat.",
    # audit
    "The latest 200 staff actions. Also as JSON:": "200 tindakan kakitangan terkini. Juga dalam JSON:",
    "Staff actions, newest first": "Tindakan kakitangan, terbaru dahulu",
    "When (UTC)": "Bila (UTC)",
    "Staff": "Kakitangan",
    "Action": "Tindakan",
    "Subject": "Subjek",
    "Detail": "Butiran",
    # handoff queue and chat
    "Chats waiting for a person": "Sembang yang menunggu pegawai",
    "The list refreshes by itself. Open a chat to read it and reply; the user sees your replies at once.": (
        "Senarai ini dikemas kini sendiri. Buka sembang untuk membaca dan membalas; pengguna "
        "melihat balasan anda serta-merta."
    ),
    "Open and assigned tickets, oldest first": "Tiket terbuka dan diambil, terlama dahulu",
    "Ticket": "Tiket",
    "Channel": "Saluran",
    "Flow": "Aliran",
    "Why": "Sebab",
    "Waiting since": "Menunggu sejak",
    "Nobody is waiting.": "Tiada sesiapa yang menunggu.",
    "Callback requests (outside staffed hours)": "Permintaan panggilan semula (luar waktu operasi)",
    "Phone": "Telefon",
    "Preferred time": "Masa pilihan",
    "Asked at": "Diminta pada",
    "Mark as called": "Tandakan sudah dihubungi",
    "No callback requests.": "Tiada permintaan panggilan semula.",
    "Chat": "Sembang",
    "Malay": "Bahasa Melayu",
    "English": "Bahasa Inggeris",
    "asked for a person": "meminta pegawai",
    "the bot did not understand twice": "bot tidak faham dua kali",
    "was asking": "sedang bertanya",
    "Answers so far": "Jawapan setakat ini",
    "Conversation": "Perbualan",
    "User": "Pengguna",
    "Bot": "Bot",
    "Agent": "Ejen",
    "Your reply": "Balasan anda",
    "Send reply": "Hantar balasan",
    "Hand back to the bot": "Serahkan semula kepada bot",
    "This chat is closed: the bot has it again.": "Sembang ini ditutup: bot mengendalikannya semula.",
    "Reply sent.": "Balasan dihantar.",
    "Not sent:": "Tidak dihantar:",
    "Handed back to the bot.": "Diserahkan semula kepada bot.",
    "Could not hand back:": "Tidak dapat diserahkan semula:",
    "open": "terbuka",
    "assigned": "diambil",
    "closed": "ditutup",
    # assisted mode
    "Chat with the assistant for a caller": "Bersembang dengan pembantu bagi pihak pemanggil",
    "We email a one-time code to the caller's account address. The caller reads it out to you; once you enter it, the chat is bound to their account and everything in it is recorded as done by you for them.": (
        "Kami menghantar kod sekali guna ke alamat e-mel akaun pemanggil. Pemanggil membacakannya "
        "kepada anda; selepas anda memasukkannya, sembang ini terikat pada akaun mereka dan "
        "semua yang berlaku direkodkan sebagai dilakukan oleh anda bagi pihak mereka."
    ),
    "The caller's portal account email": "E-mel akaun portal pemanggil",
    "Chat language": "Bahasa sembang",
    "Send the code": "Hantar kod",
    "Assisted chat for": "Sembang dibantu untuk",
    "This assisted chat has ended.": "Sembang dibantu ini telah tamat.",
    "We emailed a six-digit code to": "Kami telah menghantar kod enam digit ke",
    "Ask the caller to read it out.": "Minta pemanggil membacakannya.",
    "Code the caller read out": "Kod yang dibacakan oleh pemanggil",
    "Verify": "Sahkan",
    "Verified: you are acting for": "Disahkan: anda bertindak bagi pihak",
    "Everything here is recorded in the audit log.": "Semua di sini direkodkan dalam log audit.",
    "You": "Anda",
    "Assistant": "Pembantu",
    "Message to the assistant (as the caller)": "Mesej kepada pembantu (sebagai pemanggil)",
    "Send": "Hantar",
    "Options the assistant offered": "Pilihan yang diberi oleh pembantu",
    "End the assisted chat": "Tamatkan sembang dibantu",
    "No portal account uses that email address.": "Tiada akaun portal menggunakan alamat e-mel itu.",
    # dashboard
    "From": "Dari",
    "to": "hingga",
    "Show": "Tunjuk",
    "Malaysia time; counted from the assistant's events, without names or messages.": (
        "Waktu Malaysia; dikira daripada peristiwa pembantu, tanpa nama atau mesej."
    ),
    "Summary": "Ringkasan",
    "Conversations": "Perbualan",
    "Fallback rate": "Kadar tidak difahami",
    "messages not understood": "mesej tidak difahami",
    "of": "daripada",
    "Handoff rate": "Kadar serahan",
    "conversations asked for a person": "perbualan meminta pegawai",
    "Waiting for a person": "Menunggu pegawai",
    "median": "median",
    "longest": "paling lama",
    "taken": "diambil",
    "never taken": "tidak diambil",
    "no ticket taken in this range": "tiada tiket diambil dalam julat ini",
    "Conversations per day and channel": "Perbualan sehari mengikut saluran",
    "Flows: started → completed, and where people stop": (
        "Aliran: dimulakan → selesai, dan di mana pengguna berhenti"
    ),
    "Started": "Dimulakan",
    "Completed": "Selesai",
    "Cancelled": "Dibatalkan",
    "Left": "Ditinggalkan",
    "Stopped at (question: count)": "Berhenti di (soalan: bilangan)",
    "No flow was started in this range.": "Tiada aliran dimulakan dalam julat ini.",
    "where people stopped": "di mana pengguna berhenti",
    "Stopped here": "Berhenti di sini",
    # 'delete my conversation data' from a handoff chat
    "Delete conversation data": "Padam data perbualan",
    "Only when the caller asks. This deletes the transcript and the assistant's records of this chat for good; the deletion is recorded in the audit log.": (
        "Hanya apabila pemanggil memintanya. Ini memadam transkrip dan rekod pembantu bagi "
        "sembang ini secara kekal; pemadaman direkodkan dalam log audit."
    ),
    "The caller asked for their conversation data to be deleted.": (
        "Pemanggil meminta data perbualan mereka dipadam."
    ),
    "Not deleted": "Tidak dipadam",
    "Tick the box to confirm the caller asked for their conversation data to be deleted.": (
        "Tandakan kotak untuk mengesahkan pemanggil meminta data perbualan mereka dipadam."
    ),
    "Conversation data deleted: {messages} messages and {events} assistant records.": (
        "Data perbualan dipadam: {messages} mesej dan {events} rekod pembantu."
    ),
}


def language_of(request: Request) -> str:
    value = request.cookies.get(LANG_COOKIE)
    return value if value in LANGUAGES else "en"


def translate(language: str, text: str, **values: Any) -> str:
    out = MALAY.get(text, text) if language == "ms" else text
    return out.format(**values) if values else out


def translator(language: str):  # type: ignore[no-untyped-def]
    """``t`` for a template: ``{{ t("Search") }}``, ``{{ t("… {n} …", n=3) }}``."""

    def t(text: str, **values: Any) -> str:
        return translate(language, text, **values)

    return t
