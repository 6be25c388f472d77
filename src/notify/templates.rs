//! What the messages say, in Arabic (the default) and English.
//!
//! Text messages are short and plain. Emails carry a plain-text part and an HTML part
//! laid out with tables and inline styles (what mail clients render alike), right to
//! left in Arabic. maud escapes everything interpolated: a seller's name or a carrier
//! cannot inject markup.

use maud::{DOCTYPE, Markup, html};

use crate::auth::mail::LinkKind;
use crate::platform::text::{isolate, shorten};

/// The most of a seller's or carrier's name a text message carries.
const SMS_NAME_CHARS: usize = 30;

use crate::platform::i18n::Locale;

/// A message about an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderMessage {
    /// Paid: the order is confirmed.
    Confirmed {
        number: String,
        total_sar: String,
    },
    Shipped {
        number: String,
        seller: String,
        carrier: String,
        tracking_number: String,
    },
    Delivered {
        number: String,
        seller: String,
    },
}

impl OrderMessage {
    /// The template's name in logs and dedupe keys.
    pub fn purpose(&self) -> &'static str {
        match self {
            OrderMessage::Confirmed { .. } => "order_confirmed",
            OrderMessage::Shipped { .. } => "order_shipped",
            OrderMessage::Delivered { .. } => "order_delivered",
        }
    }

    pub fn sms(&self, locale: Locale) -> String {
        // What sellers wrote is kept short (a text message is paid per segment) and
        // isolated, so a Latin name does not reorder an Arabic sentence, nor the reverse.
        let named = |text: &str, max: usize| isolate(&shorten(text, max));
        match (self, locale) {
            (OrderMessage::Confirmed { number, total_sar }, Locale::Ar) => {
                format!("كارقو بارتس: تم تأكيد طلبك {number} بمبلغ {total_sar} ريال شامل الضريبة. شكراً لك.")
            }
            (OrderMessage::Confirmed { number, total_sar }, Locale::En) => {
                format!("CargoParts: your order {number} is confirmed, SAR {total_sar} incl. VAT. Thank you.")
            }
            (OrderMessage::Shipped { number, seller, carrier, tracking_number }, Locale::Ar) => {
                let (seller, carrier) = (named(seller, SMS_NAME_CHARS), named(carrier, SMS_NAME_CHARS));
                format!("كارقو بارتس: شُحن طلبك {number} من {seller} عبر {carrier}، رقم التتبع {tracking_number}.")
            }
            (OrderMessage::Shipped { number, seller, carrier, tracking_number }, Locale::En) => {
                let (seller, carrier) = (named(seller, SMS_NAME_CHARS), named(carrier, SMS_NAME_CHARS));
                format!(
                    "CargoParts: your order {number} from {seller} has shipped with {carrier}, tracking number {tracking_number}."
                )
            }
            (OrderMessage::Delivered { number, seller }, Locale::Ar) => {
                let seller = named(seller, SMS_NAME_CHARS);
                format!("كارقو بارتس: تم تسليم طلبك {number} من {seller}. نتمنى لك قيادة آمنة.")
            }
            (OrderMessage::Delivered { number, seller }, Locale::En) => {
                let seller = named(seller, SMS_NAME_CHARS);
                format!("CargoParts: your order {number} from {seller} has been delivered. Drive safe.")
            }
        }
    }

    pub fn subject(&self, locale: Locale) -> String {
        match (self, locale) {
            (OrderMessage::Confirmed { number, .. }, Locale::Ar) => format!("تأكيد طلبك {number} | كارقو بارتس"),
            (OrderMessage::Confirmed { number, .. }, Locale::En) => {
                format!("Your order {number} is confirmed | CargoParts")
            }
            (OrderMessage::Shipped { number, .. }, Locale::Ar) => format!("شُحن طلبك {number} | كارقو بارتس"),
            (OrderMessage::Shipped { number, .. }, Locale::En) => {
                format!("Your order {number} has shipped | CargoParts")
            }
            (OrderMessage::Delivered { number, .. }, Locale::Ar) => format!("تم تسليم طلبك {number} | كارقو بارتس"),
            (OrderMessage::Delivered { number, .. }, Locale::En) => {
                format!("Your order {number} was delivered | CargoParts")
            }
        }
    }

    /// The email's plain-text part: the text message with a greeting and a footer.
    pub fn email_text(&self, locale: Locale, name: &str, has_invoices: bool) -> String {
        let (greeting, invoices, footer) = words(locale, name);
        let invoices = if has_invoices { format!("\n\n{invoices}") } else { String::new() };
        format!("{greeting}\n\n{}{invoices}\n\n{footer}\n", self.sms(locale))
    }

    /// The email's HTML part.
    pub fn email_html(&self, locale: Locale, name: &str, has_invoices: bool) -> String {
        let (greeting, invoices, _) = words(locale, name);
        email_page(
            locale,
            &self.subject(locale),
            html! {
                p style=(PARAGRAPH) { (greeting) }
                p style=(PARAGRAPH) { (self.sms(locale)) }
                @if has_invoices { p style=(PARAGRAPH) { (invoices) } }
            },
        )
    }
}

/// The greeting, the invoices line and the signature.
fn words(locale: Locale, name: &str) -> (String, &'static str, &'static str) {
    match locale {
        Locale::Ar => (format!("مرحباً {name}،"), "فواتيرك الضريبية المبسطة مرفقة بهذه الرسالة.", "فريق كارقو بارتس"),
        Locale::En => (format!("Hello {name},"), "Your simplified tax invoices are attached.", "The CargoParts team"),
    }
}

const PARAGRAPH: &str = "margin: 0 0 12px;";

/// An email's HTML: a centred card of tables and inline styles (what mail clients
/// render alike), right to left in Arabic, with `content` between the brand and the
/// signature.
fn email_page(locale: Locale, title: &str, content: Markup) -> String {
    let (lang, dir, align) = match locale {
        Locale::Ar => ("ar", "rtl", "right"),
        Locale::En => ("en", "ltr", "left"),
    };
    let (_, _, footer) = words(locale, "");
    let font = "font-family: Tahoma, Arial, sans-serif; font-size: 16px; line-height: 1.6; color: #1a1a1a;";
    let page: Markup = html! {
        (DOCTYPE)
        html lang=(lang) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
            }
            body style="margin: 0; padding: 0; background: #f4f4f4;" {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background: #f4f4f4;" {
                    tr { td align="center" style="padding: 24px 12px;" {
                        table role="presentation" width="100%" cellpadding="0" cellspacing="0"
                            style={ "max-width: 560px; background: #ffffff; border-radius: 8px; " (font) } {
                            tr { td dir=(dir) align=(align) style={ "padding: 24px; text-align: " (align) ";" } {
                                p style="margin: 0 0 16px; font-weight: bold; color: #0b6e4f;" { "CargoParts | كارقو بارتس" }
                                (content)
                                p style="margin: 24px 0 0; color: #555555;" { (footer) }
                            } }
                        }
                    } }
                }
            }
        }
    };
    page.into_string()
}

/// An email to one account, written in the account's language.
pub trait AccountEmail {
    /// The message's purpose in the email log.
    fn purpose(&self) -> &'static str;
    fn subject(&self, locale: Locale) -> String;
    fn email_text(&self, locale: Locale) -> String;
    fn email_html(&self, locale: Locale) -> String;
}

/// An email with an account's link: a password reset or an email verification.
#[derive(Debug, Clone)]
pub struct AccountLinkMessage<'a> {
    pub kind: LinkKind,
    pub name: &'a str,
    pub link: &'a str,
    /// How long the link works from now.
    pub minutes: u64,
}

impl AccountLinkMessage<'_> {
    /// What was asked, the expiry, and what to do when it was not you.
    fn lines(&self, locale: Locale) -> [String; 3] {
        let minutes = self.minutes;
        let hours = minutes.div_ceil(60);
        match (self.kind, locale) {
            (LinkKind::PasswordReset, Locale::Ar) => [
                "طلبت إعادة تعيين كلمة المرور لحسابك. اضغط الزر أو افتح الرابط لاختيار كلمة مرور جديدة.".into(),
                format!("الرابط صالح لمدة {minutes} دقيقة ولمرة واحدة، وسيُطلب تسجيل الدخول من جديد على كل أجهزتك."),
                "إن لم تطلب ذلك فتجاهل هذه الرسالة؛ كلمة مرورك الحالية لم تتغير.".into(),
            ],
            (LinkKind::PasswordReset, Locale::En) => [
                "You asked to reset your account's password. Use the button or open the link to choose a new one."
                    .into(),
                format!("The link works once, for {minutes} minutes; every device will then sign in again."),
                "If this was not you, ignore this email: your current password has not changed.".into(),
            ],
            (LinkKind::EmailVerification, Locale::Ar) => [
                "أهلاً بك في كارقو بارتس. أكّد أن هذا البريد لك لتصلك عليه فواتيرك وتحديثات طلباتك.".into(),
                format!("الرابط صالح لمدة {hours} ساعة ولمرة واحدة."),
                "إن لم تسجّل لدينا فتجاهل هذه الرسالة؛ لن يُستخدم بريدك دون تأكيده.".into(),
            ],
            (LinkKind::EmailVerification, Locale::En) => [
                "Welcome to CargoParts. Confirm this address is yours to receive your invoices and order updates here."
                    .into(),
                format!("The link works once, for {hours} hours."),
                "If you did not sign up, ignore this email: the address is not held until it is confirmed.".into(),
            ],
        }
    }

    fn button(&self, locale: Locale) -> &'static str {
        match (self.kind, locale) {
            (LinkKind::PasswordReset, Locale::Ar) => "اختيار كلمة مرور جديدة",
            (LinkKind::PasswordReset, Locale::En) => "Choose a new password",
            (LinkKind::EmailVerification, Locale::Ar) => "تأكيد البريد الإلكتروني",
            (LinkKind::EmailVerification, Locale::En) => "Confirm email address",
        }
    }
}

impl AccountEmail for AccountLinkMessage<'_> {
    fn purpose(&self) -> &'static str {
        match self.kind {
            LinkKind::PasswordReset => "password_reset",
            LinkKind::EmailVerification => "email_verification",
        }
    }

    fn subject(&self, locale: Locale) -> String {
        match (self.kind, locale) {
            (LinkKind::PasswordReset, Locale::Ar) => "إعادة تعيين كلمة المرور | كارقو بارتس".into(),
            (LinkKind::PasswordReset, Locale::En) => "Reset your password | CargoParts".into(),
            (LinkKind::EmailVerification, Locale::Ar) => "تأكيد بريدك الإلكتروني | كارقو بارتس".into(),
            (LinkKind::EmailVerification, Locale::En) => "Confirm your email address | CargoParts".into(),
        }
    }

    fn email_text(&self, locale: Locale) -> String {
        let (greeting, _, footer) = words(locale, self.name);
        let [asked, expiry, not_you] = self.lines(locale);
        format!("{greeting}\n\n{asked}\n\n{}\n\n{expiry}\n{not_you}\n\n{footer}\n", self.link)
    }

    fn email_html(&self, locale: Locale) -> String {
        let (greeting, _, _) = words(locale, self.name);
        let [asked, expiry, not_you] = self.lines(locale);
        email_page(
            locale,
            &self.subject(locale),
            html! {
                p style=(PARAGRAPH) { (greeting) }
                p style=(PARAGRAPH) { (asked) }
                table role="presentation" cellpadding="0" cellspacing="0" style="margin: 8px 0 16px;" {
                    tr { td style="background: #0b6e4f; border-radius: 4px;" {
                        a href=(self.link) style="display: inline-block; padding: 12px 20px; color: #ffffff; text-decoration: none; font-weight: bold;" { (self.button(locale)) }
                    } }
                }
                p style="margin: 0 0 12px; font-size: 13px; color: #555555; word-break: break-all;" dir="ltr" { (self.link) }
                p style=(PARAGRAPH) { (expiry) }
                p style=(PARAGRAPH) { (not_you) }
            },
        )
    }
}

/// The notice that an account's password changed, by its owner or by a reset: if it
/// was not them, they know at once.
#[derive(Debug, Clone)]
pub struct PasswordChangedMessage<'a> {
    pub name: &'a str,
    /// When it changed, in UTC; shown in Riyadh time.
    pub at: chrono::DateTime<chrono::Utc>,
}

impl PasswordChangedMessage<'_> {
    pub const PURPOSE: &'static str = "password_changed";

    fn lines(&self, locale: Locale) -> [String; 2] {
        // Saudi Arabia keeps UTC+3 all year.
        let riyadh = (self.at + chrono::Duration::hours(3)).format("%Y-%m-%d %H:%M");
        match locale {
            Locale::Ar => [
                format!("تم تغيير كلمة مرور حسابك في {riyadh} بتوقيت الرياض، وأُنهيت جلساتك الأخرى."),
                "إن لم تكن أنت، فاختر «نسيت كلمة المرور» في صفحة الدخول فوراً ثم تواصل معنا.".into(),
            ],
            Locale::En => [
                format!("Your account's password was changed on {riyadh} Riyadh time, and your other sessions ended."),
                "If this was not you, choose \"Forgot password\" on the sign-in page at once, then contact us.".into(),
            ],
        }
    }
}

impl AccountEmail for PasswordChangedMessage<'_> {
    fn purpose(&self) -> &'static str {
        Self::PURPOSE
    }

    fn subject(&self, locale: Locale) -> String {
        match locale {
            Locale::Ar => "تم تغيير كلمة مرورك | كارقو بارتس".into(),
            Locale::En => "Your password was changed | CargoParts".into(),
        }
    }

    fn email_text(&self, locale: Locale) -> String {
        let (greeting, _, footer) = words(locale, self.name);
        let [changed, not_you] = self.lines(locale);
        format!("{greeting}\n\n{changed}\n\n{not_you}\n\n{footer}\n")
    }

    fn email_html(&self, locale: Locale) -> String {
        let (greeting, _, _) = words(locale, self.name);
        let [changed, not_you] = self.lines(locale);
        email_page(
            locale,
            &self.subject(locale),
            html! {
                p style=(PARAGRAPH) { (greeting) }
                p style=(PARAGRAPH) { (changed) }
                p style=(PARAGRAPH) { strong { (not_you) } }
            },
        )
    }
}

/// The news that the marketplace verified the seller: the badge shows on its listings.
#[derive(Debug, Clone)]
pub struct SellerVerifiedMessage<'a> {
    pub name: &'a str,
}

impl SellerVerifiedMessage<'_> {
    pub const PURPOSE: &'static str = "seller_verified";

    fn lines(&self, locale: Locale) -> [&'static str; 2] {
        match locale {
            Locale::Ar => [
                "راجعنا السجل التجاري وشهادة ضريبة القيمة المضافة وخطاب البنك، وتم توثيق متجرك.",
                "تظهر علامة «موثّق» على منتجاتك في نتائج البحث من الآن. حدّث مستنداتك قبل انتهاء السجل للحفاظ عليها.",
            ],
            Locale::En => [
                "We reviewed your commercial registration, VAT certificate and bank letter: your store is verified.",
                "The verified badge now shows on your listings in search. Renew your documents before the registration expires to keep it.",
            ],
        }
    }
}

impl AccountEmail for SellerVerifiedMessage<'_> {
    fn purpose(&self) -> &'static str {
        Self::PURPOSE
    }

    fn subject(&self, locale: Locale) -> String {
        match locale {
            Locale::Ar => "تم توثيق متجرك | كارقو بارتس".into(),
            Locale::En => "Your store is verified | CargoParts".into(),
        }
    }

    fn email_text(&self, locale: Locale) -> String {
        let (greeting, _, footer) = words(locale, self.name);
        let [done, badge] = self.lines(locale);
        format!("{greeting}\n\n{done}\n\n{badge}\n\n{footer}\n")
    }

    fn email_html(&self, locale: Locale) -> String {
        let (greeting, _, _) = words(locale, self.name);
        let [done, badge] = self.lines(locale);
        email_page(
            locale,
            &self.subject(locale),
            html! {
                p style=(PARAGRAPH) { (greeting) }
                p style=(PARAGRAPH) { (done) }
                p style=(PARAGRAPH) { (badge) }
            },
        )
    }
}

/// The text messages with a one-time code (sign-in, password reset, phone
/// verification) are the auth module's; in the log they show as this, never with the code.
pub const OTP_LOG_EXCERPT: &str = "one-time code / رمز لمرة واحدة (not kept)";

/// `text`, cut to at most `chars` characters for a log.
pub fn excerpt(text: &str, chars: usize) -> String {
    shorten(text, chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> OrderMessage {
        OrderMessage::Shipped {
            number: "CP-2026-000042".into(),
            seller: "قطع <الرياض>".into(),
            carrier: "SMSA".into(),
            tracking_number: "TRK123".into(),
        }
    }

    #[test]
    fn arabic_is_the_default_and_english_is_chosen() {
        assert_eq!(Locale::from_db("ar"), Locale::Ar);
        assert_eq!(Locale::from_db(""), Locale::Ar);
        assert_eq!(Locale::from_db("EN"), Locale::En);
    }

    #[test]
    fn the_shipped_message_carries_the_tracking_number_in_both_languages() {
        for locale in [Locale::Ar, Locale::En] {
            let text = shipped().sms(locale);
            assert!(text.contains("TRK123") && text.contains("CP-2026-000042") && text.contains("SMSA"), "{text}");
        }
        assert!(shipped().sms(Locale::Ar).contains("رقم التتبع"));
        let long = OrderMessage::Shipped {
            number: "CP-2026-000042".into(),
            seller: "Al Madina Al Munawwara Auto Spare Parts Trading Establishment".into(),
            carrier: "SMSA".into(),
            tracking_number: "TRK123".into(),
        };
        let text = long.sms(Locale::Ar);
        assert!(text.contains("\u{2068}Al Madina Al Munawwara Auto…\u{2069}"), "{text:?}");
    }

    #[test]
    fn arabic_email_is_right_to_left_and_escapes_what_sellers_wrote() {
        let html = shipped().email_html(Locale::Ar, "نورة", false);
        assert!(html.contains(r#"<html lang="ar" dir="rtl">"#), "{html}");
        assert!(html.contains("قطع &lt;الرياض&gt;"), "a seller's name is text, not markup");
        assert!(!html.contains("<الرياض>"));
        let english = shipped().email_html(Locale::En, "Noura", true);
        assert!(english.contains(r#"dir="ltr""#) && english.contains("invoices are attached"));
    }

    #[test]
    fn the_reset_email_carries_its_link_in_both_parts_and_in_the_chosen_language() {
        let message = AccountLinkMessage {
            kind: LinkKind::PasswordReset,
            name: "نورة",
            link: "https://cargoparts.example/reset-password?token=abc.def",
            minutes: 30,
        };
        let arabic = message.email_html(Locale::Ar);
        assert!(arabic.contains(r#"<html lang="ar" dir="rtl">"#) && arabic.contains("30 دقيقة"));
        assert!(arabic.contains(r#"href="https://cargoparts.example/reset-password?token=abc.def""#), "{arabic}");
        let text = message.email_text(Locale::En);
        assert!(text.contains("?token=abc.def") && text.contains("30 minutes"), "{text}");
        assert!(message.subject(Locale::En).contains("Reset your password"));
    }

    #[test]
    fn the_verification_email_says_hours_and_names_its_purpose() {
        let message = AccountLinkMessage {
            kind: LinkKind::EmailVerification,
            name: "Noura",
            link: "https://cargoparts.example/verify-email?token=abc.def",
            minutes: 1440,
        };
        assert_eq!(message.purpose(), "email_verification");
        let english = message.email_html(Locale::En);
        assert!(english.contains("24 hours") && english.contains("Confirm email address"), "{english}");
        assert!(message.email_text(Locale::Ar).contains("24 ساعة"));
    }

    #[test]
    fn the_password_notice_gives_the_riyadh_time() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-04T21:30:00Z").unwrap().to_utc();
        let message = PasswordChangedMessage { name: "Noura", at };
        assert!(message.email_text(Locale::En).contains("2026-12-05 00:30 Riyadh time"));
        assert!(message.email_html(Locale::Ar).contains("2026-12-05 00:30 بتوقيت الرياض"));
    }

    #[test]
    fn excerpts_are_cut_on_characters() {
        assert_eq!(excerpt("كارقو بارتس", 5), "كارق…");
        assert_eq!(excerpt("كارقو بارتس للقطع", 12), "كارقو بارتس…");
        assert_eq!(excerpt("short", 50), "short");
    }
}
