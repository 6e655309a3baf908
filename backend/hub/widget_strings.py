"""What the web chat page itself says (the bot's own words come from Rasa's domain.yml)."""

from __future__ import annotations

WIDGET_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "skip": "Skip to the chat",
        "tagline": "Help with PERKESO's ASSIST portal",
        "heading": "Chat with ASSIST Assistant",
        "noscript": "This chat needs JavaScript. You can also reach us on Telegram.",
        "placeholder": "Type your message…",
        "intro": (
            "Hello! I'm ASSIST Assistant. I can help you apply for an ASSIST portal ID, "
            "log in, and work out the SOCSO and EIS contributions for a wage. How can I help?"
        ),
        "offline": (
            "I can't reach ASSIST Assistant right now. Please check your connection; "
            "nothing you typed is lost — try again in a moment."
        ),
        "offline_status": (
            "Connection problem — reconnecting automatically; you can also send again."
        ),
        "back_online": "Connected again.",
        "retry": "Try again",
        "download": "Download",
        "opens_new_tab": "(opens in a new tab)",
        "bot_said": "ASSIST Assistant says:",
        "switch_text": "Switch to English",
        "submit": "Send",
        "input_label": "Your message",
        "attach": "Attach a document",
        "attach_hint": (
            "PDF, JPEG or PNG for supporting documents; a .txt, .csv or .xlsx payroll file"
            " for contributions; at most 10 MB"
        ),
        "too_big": (
            "That file is larger than 10 MB, so I did not send it. "
            "Please attach a PDF, JPEG or PNG of at most 10 MB."
        ),
        "agent_typing": "{agent} (PERKESO) is typing…",
        "with_agent": "✓ Sent to the helpline agent, who will reply here.",
        "erase": "Delete my conversation",
        "erase_confirm": (
            "Delete this conversation? Everything typed here and the assistant's answers are "
            "deleted, and this chat is logged out. Your portal account, registrations, "
            "contributions and payments are not affected."
        ),
        "erase_done": "Your conversation has been deleted.",
        "erase_failed": (
            "I could not delete the conversation just now. Nothing was deleted; please try again."
        ),
    },
    "ms": {
        "skip": "Langkau ke sembang",
        "tagline": "Bantuan untuk portal ASSIST PERKESO",
        "heading": "Sembang dengan ASSIST Assistant",
        "noscript": "Sembang ini memerlukan JavaScript. Anda juga boleh hubungi kami di Telegram.",
        "placeholder": "Taip mesej anda…",
        "intro": (
            "Helo! Saya ASSIST Assistant. Saya boleh bantu anda memohon ID portal ASSIST, "
            "log masuk, dan mengira caruman PERKESO dan SIP bagi sesuatu gaji. "
            "Apa yang boleh saya bantu?"
        ),
        "offline": (
            "Saya tidak dapat menghubungi ASSIST Assistant sekarang. Sila semak sambungan anda; "
            "tiada apa yang anda taip hilang — cuba sebentar lagi."
        ),
        "offline_status": (
            "Masalah sambungan — menyambung semula secara automatik; anda juga boleh hantar semula."
        ),
        "back_online": "Sambungan pulih.",
        "retry": "Cuba lagi",
        "download": "Muat turun",
        "opens_new_tab": "(dibuka dalam tab baharu)",
        "bot_said": "ASSIST Assistant berkata:",
        "switch_text": "Tukar ke Bahasa Melayu",
        "submit": "Hantar",
        "input_label": "Mesej anda",
        "attach": "Lampirkan dokumen",
        "attach_hint": (
            "PDF, JPEG atau PNG untuk dokumen sokongan; fail gaji .txt, .csv atau .xlsx"
            " untuk caruman; tidak melebihi 10 MB"
        ),
        "too_big": (
            "Fail itu melebihi 10 MB, jadi saya tidak menghantarnya. "
            "Sila lampirkan PDF, JPEG atau PNG tidak melebihi 10 MB."
        ),
        "agent_typing": "{agent} (PERKESO) sedang menaip…",
        "with_agent": "✓ Dihantar kepada ejen talian bantuan, yang akan membalas di sini.",
        "erase": "Padam perbualan saya",
        "erase_confirm": (
            "Padam perbualan ini? Semua yang ditaip di sini dan jawapan pembantu akan dipadam, "
            "dan sembang ini akan dilog keluar. Akaun portal, pendaftaran, caruman dan bayaran "
            "anda tidak terjejas."
        ),
        "erase_done": "Perbualan anda telah dipadam.",
        "erase_failed": (
            "Saya tidak dapat memadam perbualan sekarang. Tiada apa yang dipadam; sila cuba lagi."
        ),
    },
}
