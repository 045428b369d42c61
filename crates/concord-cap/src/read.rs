//! Reading a CAP 1.2 message: XML into a small tree (quick-xml, namespaces resolved), the
//! tree into an [`Alert`], every refusal naming the element (`alert/info[2]/urgency`).

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::NAMESPACE;
use crate::model::*;

/// The largest message read: CAP messages with detailed polygons run to a few hundred
/// kilobytes.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// How deep elements may nest (CAP needs five levels; foreign extensions a few more).
const MAX_DEPTH: usize = 32;

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    /// Not well-formed XML.
    #[error("not well-formed XML: {0}")]
    Xml(String),
    /// Another version of CAP.
    #[error("this is CAP {0}; Concord takes CAP 1.2 (namespace {NAMESPACE})")]
    Version(String),
    /// Not a CAP message at all.
    #[error(
        "not a CAP message: the root element is {0}; a CAP 1.2 message is an <alert> in namespace {NAMESPACE}"
    )]
    NotCap(String),
    /// Bigger than [`MAX_BYTES`].
    #[error("the message is {0} bytes; the most Concord reads is {MAX_BYTES}")]
    TooLarge(usize),
    /// A CAP element missing, repeated, unknown, or with a value CAP 1.2 does not allow.
    #[error("{path}: {message}")]
    Invalid {
        /// Where (`alert/info[1]/area[2]/polygon[1]`).
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl CapError {
    fn at(path: &str, message: impl Into<String>) -> CapError {
        CapError::Invalid {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

/// An element as read: its namespace, local name, text and children.
struct Element {
    cap: bool,
    name: String,
    text: String,
    children: Vec<Element>,
}

/// Reads a CAP 1.2 message.
pub fn parse(xml: &[u8]) -> Result<Alert, CapError> {
    if xml.len() > MAX_BYTES {
        return Err(CapError::TooLarge(xml.len()));
    }
    let root = tree(xml)?;
    alert(&root)
}

/// The namespace that says which CAP version a root element is, if any.
fn version_of(namespace: &[u8]) -> Option<&'static str> {
    match namespace {
        b"urn:oasis:names:tc:emergency:cap:1.2" => Some("1.2"),
        b"urn:oasis:names:tc:emergency:cap:1.1" => Some("1.1"),
        b"http://www.incident.com/cap/1.0" => Some("1.0"),
        _ => None,
    }
}

fn tree(xml: &[u8]) -> Result<Element, CapError> {
    let mut reader = NsReader::from_reader(xml);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let xml_error =
        |e: &dyn std::fmt::Display, at: u64| CapError::Xml(format!("{e} (at byte {at})"));
    loop {
        let position = reader.buffer_position();
        let (namespace, event) = reader
            .read_resolved_event()
            .map_err(|e| xml_error(&e, position))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(CapError::Xml("content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(CapError::Xml(format!(
                        "elements nest deeper than {MAX_DEPTH} levels"
                    )));
                }
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let cap = match namespace {
                    ResolveResult::Bound(ns) => {
                        if stack.is_empty() {
                            match version_of(ns.as_ref()) {
                                Some("1.2") => {}
                                Some(other) => return Err(CapError::Version(other.into())),
                                None => {
                                    return Err(CapError::NotCap(format!(
                                        "<{name}> in namespace {}",
                                        String::from_utf8_lossy(ns.as_ref())
                                    )));
                                }
                            }
                        }
                        ns.as_ref() == NAMESPACE.as_bytes()
                    }
                    _ => {
                        if stack.is_empty() {
                            return Err(CapError::NotCap(format!("<{name}> in no namespace")));
                        }
                        false
                    }
                };
                stack.push(Element {
                    cap,
                    name,
                    text: String::new(),
                    children: Vec::new(),
                });
            }
            Event::End(_) => {
                let done = stack.pop().expect("quick-xml checks end names");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|e| xml_error(&e, position))?;
                push_text(&mut stack, &text)?;
            }
            Event::CData(data) => {
                let text = data.decode().map_err(|e| xml_error(&e, position))?;
                push_text(&mut stack, &text)?;
            }
            Event::GeneralRef(reference) => {
                let ch = match reference
                    .resolve_char_ref()
                    .map_err(|e| xml_error(&e, position))?
                {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = reference.decode().map_err(|e| xml_error(&e, position))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| {
                                CapError::Xml(format!(
                                    "unknown entity &{name}; (at byte {position})"
                                ))
                            })?
                            .to_owned()
                    }
                };
                push_text(&mut stack, &ch)?;
            }
            Event::DocType(_) => {
                return Err(CapError::Xml(
                    "a document type declaration: CAP messages have none, and Concord does not read them".into(),
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Empty(_) => unreachable!("empty elements are expanded"),
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(CapError::Xml(format!(
            "the document ends inside <{}>",
            stack.last().map(|e| e.name.as_str()).unwrap_or_default()
        )));
    }
    root.ok_or_else(|| CapError::Xml("no root element".into()))
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), CapError> {
    match stack.last_mut() {
        Some(element) => {
            element.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(CapError::Xml("text outside the root element".into())),
    }
}

/// The children of one element, taken by name; what is left over is refused.
struct Fields<'a> {
    path: String,
    children: Vec<Option<&'a Element>>,
}

impl<'a> Fields<'a> {
    fn of(path: String, element: &'a Element) -> Result<Fields<'a>, CapError> {
        if !element.text.trim().is_empty() {
            return Err(CapError::at(
                &path,
                "has text where CAP expects elements only",
            ));
        }
        Ok(Fields {
            path,
            children: element
                .children
                .iter()
                .filter(|c| c.cap)
                .map(Some)
                .collect(),
        })
    }

    fn take_all(&mut self, name: &str) -> Vec<&'a Element> {
        self.children
            .iter_mut()
            .filter(|c| c.is_some_and(|c| c.name == name))
            .filter_map(Option::take)
            .collect()
    }

    fn take(&mut self, name: &str) -> Result<Option<&'a Element>, CapError> {
        let mut all = self.take_all(name);
        if all.len() > 1 {
            return Err(CapError::at(
                &self.path,
                format!("<{name}> appears {} times; CAP allows it once", all.len()),
            ));
        }
        Ok(all.pop())
    }

    fn path_of(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    /// Free text, kept exactly.
    fn text(&mut self, name: &str) -> Result<Option<String>, CapError> {
        let path = self.path_of(name);
        self.take(name)?.map(|e| text_of(&path, e)).transpose()
    }

    /// A token (identifier, enumeration): surrounding white space dropped.
    fn token(&mut self, name: &str) -> Result<Option<String>, CapError> {
        Ok(self.text(name)?.map(|t| t.trim().to_owned()))
    }

    fn required_token(&mut self, name: &str) -> Result<String, CapError> {
        match self.token(name)? {
            Some(t) if !t.is_empty() => Ok(t),
            Some(_) => Err(CapError::at(&self.path_of(name), "is empty")),
            None => Err(CapError::at(
                &self.path,
                format!("<{name}> is missing; CAP 1.2 requires it"),
            )),
        }
    }

    fn value<T>(
        &mut self,
        name: &str,
        parse: fn(&str) -> Option<T>,
        choices: fn() -> String,
    ) -> Result<T, CapError> {
        let token = self.required_token(name)?;
        parse(&token).ok_or_else(|| {
            CapError::at(
                &self.path_of(name),
                format!("`{token}` is not a CAP 1.2 value (one of {})", choices()),
            )
        })
    }

    fn values<T>(
        &mut self,
        name: &str,
        parse: fn(&str) -> Option<T>,
        choices: fn() -> String,
    ) -> Result<Vec<T>, CapError> {
        let path = self.path_of(name);
        self.take_all(name)
            .into_iter()
            .map(|e| {
                let token = text_of(&path, e)?;
                parse(token.trim()).ok_or_else(|| {
                    CapError::at(
                        &path,
                        format!(
                            "`{}` is not a CAP 1.2 value (one of {})",
                            token.trim(),
                            choices()
                        ),
                    )
                })
            })
            .collect()
    }

    fn time(&mut self, name: &str) -> Result<Option<CapTime>, CapError> {
        let path = self.path_of(name);
        self.token(name)?
            .map(|t| CapTime::parse(&t).map_err(|m| CapError::at(&path, m)))
            .transpose()
    }

    fn named_values(&mut self, name: &str) -> Result<Vec<NamedValue>, CapError> {
        let elements = self.take_all(name);
        let mut out = Vec::with_capacity(elements.len());
        for (i, element) in elements.into_iter().enumerate() {
            let mut fields = Fields::of(format!("{}/{name}[{}]", self.path, i + 1), element)?;
            let value_name = fields.required_token("valueName")?;
            let value = fields.text("value")?.ok_or_else(|| {
                CapError::at(&fields.path, "<value> is missing; CAP 1.2 requires it")
            })?;
            fields.finish()?;
            out.push(NamedValue { value_name, value });
        }
        Ok(out)
    }

    fn finish(self) -> Result<(), CapError> {
        match self.children.into_iter().flatten().next() {
            None => Ok(()),
            Some(e) => Err(CapError::at(
                &self.path,
                format!("<{}> is not a CAP 1.2 element here", e.name),
            )),
        }
    }
}

/// An element's text, which must be text only and XML characters only.
fn text_of(path: &str, element: &Element) -> Result<String, CapError> {
    if let Some(child) = element.children.first() {
        return Err(CapError::at(
            path,
            format!("holds an element <{}> where CAP expects text", child.name),
        ));
    }
    if !is_xml_text(&element.text) {
        return Err(CapError::at(
            path,
            "holds a character XML 1.0 does not allow",
        ));
    }
    Ok(element.text.clone())
}

/// An RFC 3066 language tag, as XML Schema's `xs:language` has it.
fn is_language(text: &str) -> bool {
    let mut parts = text.split('-');
    let first = parts.next().unwrap_or_default();
    (1..=8).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// CAP 1.2 §3.2.1: identifiers and senders have no spaces, commas, `<` or `&`.
fn check_identifier(path: &str, text: &str) -> Result<(), CapError> {
    if text.contains(|c: char| c.is_whitespace() || matches!(c, ',' | '<' | '&')) {
        return Err(CapError::at(
            path,
            format!("`{text}` has a space, comma, `<` or `&`, which CAP 1.2 forbids here"),
        ));
    }
    Ok(())
}

fn alert(root: &Element) -> Result<Alert, CapError> {
    if root.name != "alert" {
        return Err(CapError::NotCap(format!("<{}>", root.name)));
    }
    let mut f = Fields::of("alert".into(), root)?;
    let identifier = f.required_token("identifier")?;
    check_identifier("alert/identifier", &identifier)?;
    let sender = f.required_token("sender")?;
    check_identifier("alert/sender", &sender)?;
    let sent = f
        .time("sent")?
        .ok_or_else(|| CapError::at("alert", "<sent> is missing; CAP 1.2 requires it"))?;
    let status = f.value("status", Status::parse, Status::choices)?;
    let msg_type = f.value("msgType", MsgType::parse, MsgType::choices)?;
    let source = f.text("source")?;
    let scope = f.value("scope", Scope::parse, Scope::choices)?;
    let restriction = f.text("restriction")?;
    let addresses = f.text("addresses")?;
    if scope == Scope::Private && addresses.as_deref().is_none_or(|a| a.trim().is_empty()) {
        return Err(CapError::at(
            "alert",
            "a Private message names its <addresses> (CAP 1.2 §3.2.1)",
        ));
    }
    let codes = f
        .take_all("code")
        .into_iter()
        .map(|e| text_of("alert/code", e).map(|t| t.trim().to_owned()))
        .collect::<Result<_, _>>()?;
    let note = f.text("note")?;
    let references = f.text("references")?;
    let incidents = f.text("incidents")?;
    let infos = f
        .take_all("info")
        .into_iter()
        .enumerate()
        .map(|(i, e)| info(format!("alert/info[{}]", i + 1), e))
        .collect::<Result<_, _>>()?;
    f.finish()?;
    Ok(Alert {
        identifier,
        sender,
        sent,
        status,
        msg_type,
        source,
        scope,
        restriction,
        addresses,
        codes,
        note,
        references,
        incidents,
        infos,
    })
}

fn info(path: String, element: &Element) -> Result<Info, CapError> {
    let mut f = Fields::of(path.clone(), element)?;
    let language = f.token("language")?;
    if let Some(l) = &language
        && !is_language(l)
    {
        return Err(CapError::at(
            &f.path_of("language"),
            format!("`{l}` is not an RFC 3066 language code (`en-CA`, `ru`)"),
        ));
    }
    let categories = f.values("category", Category::parse, Category::choices)?;
    if categories.is_empty() {
        return Err(CapError::at(
            &path,
            "<category> is missing; CAP 1.2 requires at least one",
        ));
    }
    let event = f.required_token("event")?;
    let response_types = f.values("responseType", ResponseType::parse, ResponseType::choices)?;
    let urgency = f.value("urgency", Urgency::parse, Urgency::choices)?;
    let severity = f.value("severity", Severity::parse, Severity::choices)?;
    let certainty = f.value("certainty", Certainty::parse, Certainty::choices)?;
    let audience = f.text("audience")?;
    let event_codes = f.named_values("eventCode")?;
    let effective = f.time("effective")?;
    let onset = f.time("onset")?;
    let expires = f.time("expires")?;
    let sender_name = f.text("senderName")?;
    let headline = f.text("headline")?;
    let description = f.text("description")?;
    let instruction = f.text("instruction")?;
    let web = f.token("web")?;
    let contact = f.text("contact")?;
    let parameters = f.named_values("parameter")?;
    let resources = f
        .take_all("resource")
        .into_iter()
        .enumerate()
        .map(|(i, e)| resource(format!("{path}/resource[{}]", i + 1), e))
        .collect::<Result<_, _>>()?;
    let areas = f
        .take_all("area")
        .into_iter()
        .enumerate()
        .map(|(i, e)| area(format!("{path}/area[{}]", i + 1), e))
        .collect::<Result<_, _>>()?;
    f.finish()?;
    Ok(Info {
        language,
        categories,
        event,
        response_types,
        urgency,
        severity,
        certainty,
        audience,
        event_codes,
        effective,
        onset,
        expires,
        sender_name,
        headline,
        description,
        instruction,
        web,
        contact,
        parameters,
        resources,
        areas,
    })
}

fn resource(path: String, element: &Element) -> Result<Resource, CapError> {
    let mut f = Fields::of(path, element)?;
    let resource_desc = f.required_token("resourceDesc")?;
    let mime_type = f.required_token("mimeType")?;
    let size = match f.token("size")? {
        None => None,
        Some(s) => Some(s.parse::<u64>().map_err(|_| {
            CapError::at(&f.path_of("size"), format!("`{s}` is not a size in bytes"))
        })?),
    };
    let uri = f.token("uri")?;
    let deref_uri = f.token("derefUri")?;
    let digest = f.token("digest")?;
    f.finish()?;
    Ok(Resource {
        resource_desc,
        mime_type,
        size,
        uri,
        deref_uri,
        digest,
    })
}

fn area(path: String, element: &Element) -> Result<Area, CapError> {
    let mut f = Fields::of(path.clone(), element)?;
    let area_desc = f.required_token("areaDesc")?;
    let mut polygons = Vec::new();
    for (i, e) in f.take_all("polygon").into_iter().enumerate() {
        let at = format!("{path}/polygon[{}]", i + 1);
        polygons.push(Polygon::parse(&text_of(&at, e)?).map_err(|m| CapError::at(&at, m))?);
    }
    let mut circles = Vec::new();
    for (i, e) in f.take_all("circle").into_iter().enumerate() {
        let at = format!("{path}/circle[{}]", i + 1);
        circles.push(Circle::parse(&text_of(&at, e)?).map_err(|m| CapError::at(&at, m))?);
    }
    let geocodes = f.named_values("geocode")?;
    let altitude = f.token("altitude")?;
    let ceiling = f.token("ceiling")?;
    for (name, value) in [("altitude", &altitude), ("ceiling", &ceiling)] {
        if let Some(v) = value
            && !is_decimal(v)
        {
            return Err(CapError::at(
                &f.path_of(name),
                format!("`{v}` is not a number of feet"),
            ));
        }
    }
    if ceiling.is_some() && altitude.is_none() {
        return Err(CapError::at(
            &path,
            "a <ceiling> goes with an <altitude> (CAP 1.2 §3.2.4)",
        ));
    }
    f.finish()?;
    Ok(Area {
        area_desc,
        polygons,
        circles,
        geocodes,
        altitude,
        ceiling,
    })
}
