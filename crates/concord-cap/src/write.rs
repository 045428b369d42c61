//! Writing an [`Alert`] as CAP 1.2 XML, elements in the order the official schema
//! requires.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::NAMESPACE;
use crate::model::*;

/// The message as CAP 1.2 XML (UTF-8, with its declaration).
pub fn to_xml(alert: &Alert) -> String {
    let mut w = Xml(Writer::new_with_indent(Vec::new(), b' ', 2));
    w.event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    w.event(Event::Start(
        BytesStart::new("alert").with_attributes([("xmlns", NAMESPACE)]),
    ));
    w.text("identifier", &alert.identifier);
    w.text("sender", &alert.sender);
    w.text("sent", alert.sent.as_str());
    w.text("status", alert.status.as_str());
    w.text("msgType", alert.msg_type.as_str());
    w.optional("source", &alert.source);
    w.text("scope", alert.scope.as_str());
    w.optional("restriction", &alert.restriction);
    w.optional("addresses", &alert.addresses);
    for code in &alert.codes {
        w.text("code", code);
    }
    w.optional("note", &alert.note);
    w.optional("references", &alert.references);
    w.optional("incidents", &alert.incidents);
    for info in &alert.infos {
        w.info(info);
    }
    w.end("alert");
    let mut out = String::from_utf8(w.0.into_inner()).expect("written from strings");
    out.push('\n');
    out
}

/// A writer that cannot fail: it writes into memory.
struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn event(&mut self, event: Event<'_>) {
        self.0.write_event(event).expect("writing to memory");
    }

    fn start(&mut self, name: &str) {
        self.event(Event::Start(BytesStart::new(name)));
    }

    fn end(&mut self, name: &str) {
        self.event(Event::End(BytesEnd::new(name)));
    }

    fn text(&mut self, name: &str, text: &str) {
        self.0
            .create_element(name)
            .write_text_content(BytesText::from_escaped(escape(text)))
            .expect("writing to memory");
    }

    fn optional(&mut self, name: &str, text: &Option<String>) {
        if let Some(text) = text {
            self.text(name, text);
        }
    }

    fn optional_time(&mut self, name: &str, time: &Option<CapTime>) {
        if let Some(time) = time {
            self.text(name, time.as_str());
        }
    }

    fn named(&mut self, name: &str, values: &[NamedValue]) {
        for v in values {
            self.start(name);
            self.text("valueName", &v.value_name);
            self.text("value", &v.value);
            self.end(name);
        }
    }

    fn info(&mut self, info: &Info) {
        self.start("info");
        self.optional("language", &info.language);
        for c in &info.categories {
            self.text("category", c.as_str());
        }
        self.text("event", &info.event);
        for r in &info.response_types {
            self.text("responseType", r.as_str());
        }
        self.text("urgency", info.urgency.as_str());
        self.text("severity", info.severity.as_str());
        self.text("certainty", info.certainty.as_str());
        self.optional("audience", &info.audience);
        self.named("eventCode", &info.event_codes);
        self.optional_time("effective", &info.effective);
        self.optional_time("onset", &info.onset);
        self.optional_time("expires", &info.expires);
        self.optional("senderName", &info.sender_name);
        self.optional("headline", &info.headline);
        self.optional("description", &info.description);
        self.optional("instruction", &info.instruction);
        self.optional("web", &info.web);
        self.optional("contact", &info.contact);
        self.named("parameter", &info.parameters);
        for r in &info.resources {
            self.start("resource");
            self.text("resourceDesc", &r.resource_desc);
            self.text("mimeType", &r.mime_type);
            if let Some(size) = r.size {
                self.text("size", &size.to_string());
            }
            self.optional("uri", &r.uri);
            self.optional("derefUri", &r.deref_uri);
            self.optional("digest", &r.digest);
            self.end("resource");
        }
        for a in &info.areas {
            self.start("area");
            self.text("areaDesc", &a.area_desc);
            for p in &a.polygons {
                self.text("polygon", p.as_str());
            }
            for c in &a.circles {
                self.text("circle", c.as_str());
            }
            self.named("geocode", &a.geocodes);
            self.optional("altitude", &a.altitude);
            self.optional("ceiling", &a.ceiling);
            self.end("area");
        }
        self.end("info");
    }
}

/// Escapes text for an element: markup characters, and carriage returns, which an XML
/// reader would otherwise turn into line feeds.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}
