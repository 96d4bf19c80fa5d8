"""The pages' texts in Finnish (default), Swedish and English, in the language chosen as on every
page of the hub (shared/languages.py).

A dictionary rather than gettext catalogues: accounts has a handful of short pages, and keeping
the three languages side by side makes a missing translation visible in review.
"""
from __future__ import annotations

from shared.languages import ENDONYMS, LANGUAGES, chosen_language as current_language  # noqa: F401

TEXTS: dict[str, dict[str, str]] = {
    "fi": {
        "service": "Nuorten ohjausverkon tunnukset", "skip": "Siirry sisältöön", "language": "Kieli",
        "error_prefix": "Virhe", "error_summary": "Korjaa seuraavat kohdat",
        "signin_title": "Kirjaudu sisään", "username": "Käyttäjätunnus", "password": "Salasana",
        "signin_button": "Jatka", "totp_title": "Vahvista kirjautuminen",
        "totp_intro": "Syötä todennussovelluksesi näyttämä kuusinumeroinen koodi.",
        "code": "Vahvistuskoodi", "code_hint": "Esimerkiksi 123456", "verify_button": "Kirjaudu",
        "err_username": "Syötä käyttäjätunnus", "err_password": "Syötä salasana",
        "err_credentials": "Käyttäjätunnus tai salasana on väärin, tai tunnus on lukittu liian monen "
                           "virheellisen yrityksen vuoksi. Yritä myöhemmin uudelleen.",
        "err_code": "Vahvistuskoodi on väärin tai vanhentunut", "err_csrf": "Lomake vanheni. Lähetä se uudelleen.",
        "err_rate": "Liian monta yritystä. Odota hetki ja yritä uudelleen.",
        "err_locked": "Tunnus on lukittu liian monen virheellisen yrityksen vuoksi. Yritä 15 minuutin päästä.",
        "done_title": "Olet kirjautunut sisään", "done_text": "Voit palata käyttämääsi palveluun.",
        "signed_out_title": "Olet kirjautunut ulos", "signed_out_text": "Istuntosi on päättynyt.",
        "bad_request_title": "Kirjautumispyyntö ei kelpaa",
        "bad_request_text": "Palvelu, josta tulit, ei ole rekisteröity tai sen paluuosoite ei täsmää.",
        "invitation_title": "Ota tunnus käyttöön",
        "invitation_intro": "Valitse salasana ja ota käyttöön todennussovellus (esimerkiksi Google Authenticator "
                            "tai Microsoft Authenticator).",
        "new_password": "Uusi salasana", "password_hint": "Vähintään 12 merkkiä. Pitkä lause on hyvä salasana.",
        "password_again": "Salasana uudelleen", "totp_setup": "Todennussovellus",
        "totp_setup_text": "Lue QR-koodi sovelluksella, tai lisää tili avaimella tai avaa linkki puhelimessa, "
                           "ja syötä sitten sovelluksen näyttämä koodi.",
        "qr_label": "QR-koodi, jolla tili lisätään todennussovellukseen",
        "secret": "Avain", "otpauth_link": "Avaa todennussovelluksessa", "enrol_button": "Ota tunnus käyttöön",
        "err_too_short": "Salasanassa on oltava vähintään 12 merkkiä", "err_too_long": "Salasana on liian pitkä",
        "err_too_common": "Salasana on liian helppo arvata", "err_has_username": "Salasana ei saa sisältää käyttäjätunnusta",
        "err_mismatch": "Salasanat eivät täsmää",
        "invitation_invalid_title": "Kutsulinkki ei ole voimassa",
        "invitation_invalid_text": "Linkki on jo käytetty tai vanhentunut. Pyydä organisaatiosi pääkäyttäjältä uusi kutsu.",
        "enrolled_title": "Tunnus on käytössä",
        "enrolled_text": "Voit nyt kirjautua sisään palvelussa, jota käytät.",
    },
    "sv": {
        "service": "Nätverket för ungdomsvägledning – konton", "skip": "Hoppa till innehållet", "language": "Språk",
        "error_prefix": "Fel", "error_summary": "Rätta följande",
        "signin_title": "Logga in", "username": "Användarnamn", "password": "Lösenord",
        "signin_button": "Fortsätt", "totp_title": "Bekräfta inloggningen",
        "totp_intro": "Ange den sexsiffriga koden som din autentiseringsapp visar.",
        "code": "Verifieringskod", "code_hint": "Till exempel 123456", "verify_button": "Logga in",
        "err_username": "Ange användarnamn", "err_password": "Ange lösenord",
        "err_credentials": "Användarnamnet eller lösenordet är fel, eller kontot är låst efter för många "
                           "misslyckade försök. Försök igen senare.",
        "err_code": "Verifieringskoden är fel eller har gått ut", "err_csrf": "Formuläret gick ut. Skicka det igen.",
        "err_rate": "För många försök. Vänta en stund och försök igen.",
        "err_locked": "Kontot är låst efter för många misslyckade försök. Försök igen om 15 minuter.",
        "done_title": "Du är inloggad", "done_text": "Du kan återvända till tjänsten du använder.",
        "signed_out_title": "Du är utloggad", "signed_out_text": "Din session har avslutats.",
        "bad_request_title": "Inloggningsbegäran är ogiltig",
        "bad_request_text": "Tjänsten du kom från är inte registrerad eller dess returadress stämmer inte.",
        "invitation_title": "Ta kontot i bruk",
        "invitation_intro": "Välj ett lösenord och ta i bruk en autentiseringsapp (till exempel Google "
                            "Authenticator eller Microsoft Authenticator).",
        "new_password": "Nytt lösenord", "password_hint": "Minst 12 tecken. En lång mening är ett bra lösenord.",
        "password_again": "Lösenordet igen", "totp_setup": "Autentiseringsapp",
        "totp_setup_text": "Läs QR-koden med appen, eller lägg till kontot med nyckeln eller öppna länken i "
                           "telefonen, och ange sedan koden som appen visar.",
        "qr_label": "QR-kod som lägger till kontot i autentiseringsappen",
        "secret": "Nyckel", "otpauth_link": "Öppna i autentiseringsappen", "enrol_button": "Ta kontot i bruk",
        "err_too_short": "Lösenordet måste ha minst 12 tecken", "err_too_long": "Lösenordet är för långt",
        "err_too_common": "Lösenordet är för lätt att gissa", "err_has_username": "Lösenordet får inte innehålla användarnamnet",
        "err_mismatch": "Lösenorden stämmer inte överens",
        "invitation_invalid_title": "Inbjudningslänken gäller inte",
        "invitation_invalid_text": "Länken är redan använd eller har gått ut. Be din organisations huvudanvändare om en ny inbjudan.",
        "enrolled_title": "Kontot är i bruk",
        "enrolled_text": "Du kan nu logga in i tjänsten du använder.",
    },
    "en": {
        "service": "Youth guidance network accounts", "skip": "Skip to content", "language": "Language",
        "error_prefix": "Error", "error_summary": "There is a problem",
        "signin_title": "Sign in", "username": "Username", "password": "Password",
        "signin_button": "Continue", "totp_title": "Confirm your sign-in",
        "totp_intro": "Enter the six-digit code shown by your authenticator app.",
        "code": "Verification code", "code_hint": "For example 123456", "verify_button": "Sign in",
        "err_username": "Enter your username", "err_password": "Enter your password",
        "err_credentials": "The username or password is wrong, or the account is locked after too many "
                           "failed attempts. Try again later.",
        "err_code": "The verification code is wrong or has expired", "err_csrf": "The form expired. Submit it again.",
        "err_rate": "Too many attempts. Wait a moment and try again.",
        "err_locked": "The account is locked after too many failed attempts. Try again in 15 minutes.",
        "done_title": "You are signed in", "done_text": "You can return to the service you were using.",
        "signed_out_title": "You are signed out", "signed_out_text": "Your session has ended.",
        "bad_request_title": "The sign-in request is not valid",
        "bad_request_text": "The service you came from is not registered, or its return address does not match.",
        "invitation_title": "Activate your account",
        "invitation_intro": "Choose a password and set up an authenticator app (for example Google "
                            "Authenticator or Microsoft Authenticator).",
        "new_password": "New password", "password_hint": "At least 12 characters. A long sentence makes a good password.",
        "password_again": "Password again", "totp_setup": "Authenticator app",
        "totp_setup_text": "Scan the QR code with the app, or add the account with the key or open the link on "
                           "your phone, then enter the code the app shows.",
        "qr_label": "QR code that adds the account to your authenticator app",
        "secret": "Key", "otpauth_link": "Open in your authenticator app", "enrol_button": "Activate account",
        "err_too_short": "The password must have at least 12 characters", "err_too_long": "The password is too long",
        "err_too_common": "The password is too easy to guess", "err_has_username": "The password must not contain the username",
        "err_mismatch": "The passwords do not match",
        "invitation_invalid_title": "The invitation link is not valid",
        "invitation_invalid_text": "The link has been used or has expired. Ask your organisation's admin for a new invitation.",
        "enrolled_title": "Your account is active",
        "enrolled_text": "You can now sign in to the service you use.",
    },
}

