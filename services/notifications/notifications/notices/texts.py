"""What people read in Finnish (default), Swedish and English: the notices page, the settings form
and the emails. A dictionary, as the console's texts (`console/i18n.py`), so a missing translation
shows in review; codes are worded as the web forms word them.
"""
from __future__ import annotations

from shared.languages import LANGUAGES

TEXTS: dict[str, tuple[str, str, str]] = {  # key: (fi, sv, en)
    # -- each kind of notice: a title, and a sentence for the email -----------------------------
    "referral.sent": ("Uusi lähete", "Ny remiss", "New referral"),
    "referral.sent.text": ("Organisaatiollesi on saapunut uusi lähete.", "Din organisation har fått en ny remiss.",
                           "Your organisation has received a new referral."),
    "referral.accepted": ("Lähete hyväksyttiin", "Remissen godkändes", "Referral accepted"),
    "referral.accepted.text": ("Organisaatiosi lähettämä lähete hyväksyttiin.",
                               "En remiss som din organisation skickade har godkänts.",
                               "A referral your organisation sent has been accepted."),
    "referral.declined": ("Lähete hylättiin", "Remissen avslogs", "Referral declined"),
    "referral.declined.text": ("Organisaatiosi lähettämä lähete hylättiin.",
                               "En remiss som din organisation skickade har avslagits.",
                               "A referral your organisation sent has been declined."),
    "referral.completed": ("Lähete päättyi", "Remissen avslutades", "Referral completed"),
    "referral.completed.text": ("Organisaatiosi lähettämä lähete on päättynyt.",
                                "En remiss som din organisation skickade har avslutats.",
                                "A referral your organisation sent has been completed."),
    "referral.expired": ("Lähete vanhentui", "Remissen förföll", "Referral expired"),
    "referral.expired.text": ("Organisaatiosi lähettämään lähetteeseen ei vastattu määräajassa.",
                              "En remiss som din organisation skickade besvarades inte inom tidsfristen.",
                              "A referral your organisation sent was not answered by its deadline."),
    "referral.withdrawn": ("Lähete peruttiin", "Remissen återkallades", "Referral withdrawn"),
    "referral.withdrawn.text": ("Lähettäjä perui organisaatiollesi lähetetyn lähetteen.",
                                "Avsändaren har återkallat en remiss till din organisation.",
                                "The sender has withdrawn a referral to your organisation."),
    "referral.commented": ("Uusi kommentti", "Ny kommentar", "New comment"),
    "referral.commented.text": ("Lähetteeseen on lisätty kommentti.", "En kommentar har lagts till i en remiss.",
                                "A comment has been added to a referral."),
    "referral.reminder": ("Vastausaika päättymässä", "Svarstiden går snart ut", "Deadline near"),
    "referral.reminder.text": ("Organisaatiollesi lähetetyn lähetteen vastausaika päättyy pian.",
                               "Svarstiden för en remiss till din organisation går snart ut.",
                               "The deadline to answer a referral to your organisation is near."),
    "webhook.disabled": ("Webhook poistettiin käytöstä", "Webhook inaktiverades", "Webhook endpoint disabled"),
    "webhook.disabled.text": ("Organisaatiosi järjestelmän webhook-osoite poistettiin käytöstä, koska toimitukset "
                              "siihen epäonnistuivat. Korjaa vastaanotin ja palauta toimitukset (recover).",
                              "Din organisations webhook-adress inaktiverades eftersom leveranserna till den "
                              "misslyckades. Åtgärda mottagaren och återställ leveranserna (recover).",
                              "A webhook endpoint of your organisation's system was disabled because deliveries to "
                              "it failed. Fix the receiver and recover the deliveries."),
    # -- coded reasons and outcomes (as the web forms word them) ---------------------------------
    "at_capacity": ("Ei tilaa", "Ingen plats", "No capacity"),
    "not_eligible": ("Ei kuulu palvelun piiriin", "Uppfyller inte villkoren", "Not eligible"),
    "outside_service_area": ("Palvelualueemme ulkopuolella", "Utanför vårt serviceområde",
                             "Outside our service area"),
    "client_unreachable": ("Asiakasta ei tavoitettu", "Klienten nåddes inte", "Client unreachable"),
    "client_declined": ("Asiakas kieltäytyi", "Klienten avböjde", "Client declined"),
    "duplicate": ("Päällekkäinen", "Dubblett", "Duplicate"),
    "other": ("Muu", "Annat", "Other"),
    "client_request": ("Asiakkaan pyynnöstä", "På klientens begäran", "The client asked"),
    "sent_in_error": ("Lähetetty virheellisesti", "Skickad av misstag", "Sent in error"),
    "receiver_deactivated": ("Vastaanottaja ei ole enää palvelussa", "Mottagaren finns inte längre i tjänsten",
                             "Receiver no longer in the hub"),
    "started_education": ("Aloitti koulutuksen", "Började studera", "Started education"),
    "started_work": ("Aloitti työn", "Började arbeta", "Started work"),
    "work_trial": ("Työkokeilu", "Arbetsprövning", "Work trial"),
    "rehabilitation": ("Kuntoutus", "Rehabilitering", "Rehabilitation"),
    "other_service": ("Muu palvelu", "Annan tjänst", "Other service"),
    "no_change": ("Ei muutosta", "Ingen förändring", "No change"),
    "lost_contact": ("Yhteys katkennut", "Kontakten bröts", "Lost contact"),
    "reason": ("Syy", "Orsak", "Reason"),
    "outcome": ("Tulos", "Resultat", "Outcome"),
    # -- the pages ------------------------------------------------------------------------------
    "service": ("Ilmoitukset", "Aviseringar", "Notifications"),
    "skip": ("Siirry sisältöön", "Hoppa till innehållet", "Skip to content"),
    "main_nav": ("Päävalikko", "Huvudmeny", "Main"),
    "language": ("Kieli", "Språk", "Language"),
    "sign_out": ("Kirjaudu ulos", "Logga ut", "Sign out"),
    "notices": ("Ilmoitukset", "Aviseringar", "Notices"),
    "settings": ("Sähköposti-ilmoitukset", "E-postaviseringar", "Email notifications"),
    "referrals": ("Lähetteet", "Remisser", "Referrals"),
    "unread_count": ("Lukemattomia: {n}", "Olästa: {n}", "Unread: {n}"),
    "unread": ("Uusi", "Ny", "New"),
    "read": ("Luettu", "Läst", "Read"),
    "when": ("Aika", "Tid", "Time"),
    "what": ("Ilmoitus", "Avisering", "Notice"),
    "details": ("Tiedot", "Uppgifter", "Details"),
    "state": ("Tila", "Status", "Status"),
    "actions": ("Toiminnot", "Åtgärder", "Actions"),
    "open_referral": ("Avaa lähete", "Öppna remissen", "Open the referral"),
    "mark_read": ("Merkitse luetuksi", "Markera som läst", "Mark as read"),
    "mark_all_read": ("Merkitse kaikki luetuiksi", "Markera alla som lästa", "Mark all as read"),
    "marked_read": ("Ilmoitus merkittiin luetuksi.", "Aviseringen markerades som läst.", "The notice was marked read."),
    "marked_all_read": ("Kaikki ilmoitukset merkittiin luetuiksi.", "Alla aviseringar markerades som lästa.",
                        "All notices were marked read."),
    "only_unread": ("Näytä vain lukemattomat", "Visa bara olästa", "Show unread only"),
    "show_all": ("Näytä kaikki", "Visa alla", "Show all"),
    "none": ("Ei ilmoituksia.", "Inga aviseringar.", "No notices."),
    "next_page": ("Seuraava sivu", "Nästa sida", "Next page"),
    "notices_intro": ("Organisaatiosi lähetteitä koskevat ilmoitukset viimeisen {days} päivän ajalta.",
                      "Aviseringar om din organisations remisser från de senaste {days} dagarna.",
                      "Notices about your organisation's referrals from the last {days} days."),
    "settings_intro": ("Ilmoitukset näkyvät aina tällä sivulla. Voit saada ne myös sähköpostiin. Viesteissä ei ole "
                       "asiakkaan tietoja, vain linkki lähetteeseen.",
                       "Aviseringarna syns alltid på den här sidan. Du kan också få dem per e-post. Meddelandena "
                       "innehåller inga uppgifter om klienten, bara en länk till remissen.",
                       "Notices are always shown on this page. You can also get them by email. The messages hold "
                       "no client details, only a link to the referral."),
    "email": ("Sähköpostiosoite", "E-postadress", "Email address"),
    "email_hint": ("Jätä tyhjäksi, jos et halua sähköposteja.", "Lämna tomt om du inte vill ha e-post.",
                   "Leave empty for no email."),
    "email_language": ("Sähköpostien kieli", "E-postens språk", "Language of the emails"),
    "frequency": ("Kuinka usein", "Hur ofta", "How often"),
    "immediately": ("Heti jokaisesta ilmoituksesta", "Genast för varje avisering", "At once, for each notice"),
    "daily": ("Kerran päivässä koosteena", "En gång om dagen som sammandrag", "Once a day, as a digest"),
    "off": ("Ei sähköposteja", "Ingen e-post", "No email"),
    "save": ("Tallenna", "Spara", "Save"),
    "saved": ("Asetukset tallennettiin.", "Inställningarna sparades.", "The settings were saved."),
    "fix_these": ("Korjaa nämä kohdat", "Rätta följande", "Please correct these"),
    "error_prefix": ("Virhe", "Fel", "Error"),
    "bad_email": ("Anna sähköpostiosoite muodossa nimi@esimerkki.fi.", "Ange e-postadressen som namn@exempel.fi.",
                  "Enter the email address as name@example.fi."),
    "bad_choice": ("Valitse yksi vaihtoehdoista.", "Välj ett av alternativen.", "Choose one of the options."),
    "no_access": ("Ei pääsyä", "Ingen åtkomst", "No access"),
    "no_access_text": ("Ilmoitukset ovat organisaatioiden ohjaajille ja pääkäyttäjille.",
                       "Aviseringarna är för organisationernas handledare och administratörer.",
                       "Notices are for organisations' counsellors and admins."),
    "not_found": ("Ei löytynyt", "Hittades inte", "Not found"),
    "not_found_text": ("Ilmoitusta ei löytynyt.", "Aviseringen hittades inte.", "The notice was not found."),
    "form_expired": ("Lomake vanheni", "Formuläret gick ut", "The form expired"),
    "form_expired_text": ("Lataa sivu uudelleen ja yritä uudestaan.", "Ladda om sidan och försök igen.",
                          "Reload the page and try again."),
    "fi": ("suomi", "finska", "Finnish"),
    "sv": ("ruotsi", "svenska", "Swedish"),
    "en": ("englanti", "engelska", "English"),
    # -- the emails -----------------------------------------------------------------------------
    "digest_subject": ("Päivän ilmoitukset: {n}", "Dagens aviseringar: {n}", "Today's notices: {n}"),
    "digest_intro": ("Organisaatiosi lähetteistä on {n} uutta ilmoitusta edellisen koosteen jälkeen.",
                     "Det finns {n} nya aviseringar om din organisations remisser sedan förra sammandraget.",
                     "There are {n} new notices about your organisation's referrals since the previous digest."),
    "greeting": ("Hei,", "Hej,", "Hello,"),
    "open_link": ("Avaa lähete:", "Öppna remissen:", "Open the referral:"),
    "all_notices": ("Kaikki ilmoitukset:", "Alla aviseringar:", "All notices:"),
    "why_you": ("Saat tämän viestin, koska olet valinnut sähköposti-ilmoitukset. Muuta valintaa:",
                "Du får det här meddelandet eftersom du har valt e-postaviseringar. Ändra valet:",
                "You get this message because you chose email notifications. Change that:"),
    "no_reply": ("Tähän viestiin ei voi vastata.", "Det går inte att svara på det här meddelandet.",
                 "Replies to this message are not read."),
}


def text(key: str, lang: str, **values) -> str:
    found = TEXTS[key][LANGUAGES.index(lang)]
    return found.format(**values) if values else found


def kind_title(kind: str, lang: str) -> str:
    """A notice kind's title; the kind itself for one this version has no words for."""
    return text(kind, lang) if kind in TEXTS else kind


def code_label(code: str | None, lang: str) -> str:
    if code is None:
        return ""
    return text(code, lang) if code in TEXTS else code
