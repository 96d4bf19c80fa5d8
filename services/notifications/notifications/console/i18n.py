"""The console's few texts in Finnish (default), Swedish and English.

The language is chosen as on every page of the hub (shared/languages.py). The console has too few
texts for message catalogues, so they live here.
"""
from __future__ import annotations

from shared.languages import ENDONYMS, LANGUAGES, chosen_language as select_language  # noqa: F401

TEXTS: dict[str, tuple[str, str, str]] = {  # key: (fi, sv, en)
    "console": ("Ylläpitokonsoli", "Driftkonsol", "Operator console"),
    "skip": ("Siirry sisältöön", "Hoppa till innehållet", "Skip to content"),
    "main_nav": ("Päävalikko", "Huvudmeny", "Main"),
    "language": ("Kieli", "Språk", "Language"),
    "sign_out": ("Kirjaudu ulos", "Logga ut", "Sign out"),
    "overview": ("Yleiskuva", "Översikt", "Overview"),
    "services": ("Palvelut", "Tjänster", "Services"),
    "service": ("Palvelu", "Tjänst", "Service"),
    "ready": ("Toiminnassa", "I drift", "Ready"),
    "yes": ("Kyllä", "Ja", "Yes"),
    "no": ("Ei", "Nej", "No"),
    "outbox_pending": ("Lähettämättä", "Ej skickade", "Outbox backlog"),
    "oldest_age": ("Vanhin (s)", "Äldsta (s)", "Oldest (s)"),
    "inbox_waiting": ("Käsittelemättä", "Ej hanterade", "Inbox waiting"),
    "dead": ("Kuolleet viestit", "Döda meddelanden", "Dead letters"),
    "problem": ("Ongelma", "Problem", "Problem"),
    "queues": ("Jonot", "Köer", "Queues"),
    "queue": ("Jono", "Kö", "Queue"),
    "messages": ("Viestejä", "Meddelanden", "Messages"),
    "consumers": ("Kuluttajia", "Konsumenter", "Consumers"),
    "broker_down": ("Viestinvälittäjä ei vastaa.", "Meddelandeförmedlaren svarar inte.", "The broker does not answer."),
    "missing": ("puuttuu", "saknas", "missing"),
    "event": ("Tapahtuma", "Händelse", "Event"),
    "type": ("Tyyppi", "Typ", "Type"),
    "attempts": ("Yrityksiä", "Försök", "Attempts"),
    "last_error": ("Viimeisin virhe", "Senaste fel", "Last error"),
    "dead_at": ("Kuoli", "Dog", "Dead at"),
    "trace": ("Jäljitys", "Spårning", "Trace"),
    "actions": ("Toiminnot", "Åtgärder", "Actions"),
    "replay": ("Toista", "Spela upp igen", "Replay"),
    "discard": ("Hylkää", "Kasta", "Discard"),
    "none": ("Ei yhtään.", "Inga.", "None."),
    "unreachable": ("Palvelu ei vastaa", "Tjänsten svarar inte", "The service does not answer"),
    "replayed": ("Viesti toistetaan.", "Meddelandet spelas upp igen.", "The message will be replayed."),
    "discarded": ("Viesti hylättiin.", "Meddelandet kastades.", "The message was discarded."),
    "not_settled": ("Viestiä ei voitu käsitellä", "Meddelandet kunde inte hanteras", "The message could not be settled"),
    "failing": ("Epäonnistuvat webhookit", "Misslyckade webhooks", "Failing webhooks"),
    "organisation": ("Organisaatio", "Organisation", "Organisation"),
    "enabled": ("Käytössä", "Aktiverad", "Enabled"),
    "failing_since": ("Epäonnistunut alkaen", "Misslyckas sedan", "Failing since"),
    "retrying": ("Uudelleenyrityksiä", "Nya försök", "Retrying"),
    "next_page": ("Seuraava sivu", "Nästa sida", "Next page"),
    "timeline": ("Lähetteen aikajana", "Remissens tidslinje", "Referral timeline"),
    "referral_id": ("Lähetteen tunniste", "Remissens id", "Referral id"),
    "referral_id_hint": ("UUID, esim. 0b6f…", "UUID, t.ex. 0b6f…", "A UUID, e.g. 0b6f…"),
    "bad_id": ("Anna lähetteen tunniste UUID-muodossa.", "Ange remissens id som UUID.", "Enter the referral id as a UUID."),
    "show": ("Näytä", "Visa", "Show"),
    "not_found": ("Tämän lähetteen tapahtumia ei ole saapunut.", "Inga händelser för remissen har kommit.",
                  "No events of this referral have arrived."),
    "status": ("Tila", "Status", "Status"),
    "events": ("Tapahtumat", "Händelser", "Events"),
    "received": ("Vastaanotettu", "Mottagen", "Received"),
    "processed": ("Käsitelty", "Hanterad", "Processed"),
    "deliveries": ("Toimitukset", "Leveranser", "Deliveries"),
    "created": ("Luotu", "Skapad", "Created"),
    "delivered": ("Toimitettu", "Levererad", "Delivered"),
    "open_trace": ("Avaa jäljitys", "Öppna spårning", "Open trace"),
    "no_access": ("Ei pääsyä", "Ingen åtkomst", "No access"),
    "no_access_text": ("Konsoli on vain ylläpitäjille.", "Konsolen är endast för operatörer.",
                       "The console is for operators only."),
    "form_expired": ("Lomake vanheni", "Formuläret gick ut", "The form expired"),
    "form_expired_text": ("Lataa sivu uudelleen ja yritä uudestaan.", "Ladda om sidan och försök igen.",
                          "Reload the page and try again."),
    "error": ("Virhe", "Fel", "Error"),
}


def text(key: str, lang: str) -> str:
    return TEXTS[key][LANGUAGES.index(lang)]
