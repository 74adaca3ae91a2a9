import { Badge, Banner, BlockStack, Button, Card, Checkbox, ChoiceList, InlineGrid, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import { has, labelOf, useI18n, type Key } from "../i18n";
import { orderedEvents } from "../logic";
import type { Branding, EmailPreview, EmailSettings, EmailTemplateText, PreviewRequest, ShipmentList, TestEmailResult } from "../types";
import { Loaded, languageName, useApi } from "../ui";

// Emails that are off until the merchant turns them on.
const optionalEvents = ["delayed"];

// The placeholders the server allows, when it does not list them.
const defaultPlaceholders = ["OrderName", "CustomerFirstName", "ShopName", "Carrier", "TrackingNumber", "EstimatedDeliveryText"];

const emptyText: EmailTemplateText = { subject: "", intro: "" };

export function Notifications() {
  const loaded = useApi<EmailSettings>("/notifications/settings");
  return <Loaded state={loaded}>{(s) => <Editor initial={s} />}</Loaded>;
}

// withTemplate returns the settings with the (locale, event) text replaced;
// a text with both fields empty is removed (Waybill's own text is used).
export function withTemplate(s: EmailSettings, locale: string, event: string, text: EmailTemplateText): EmailSettings {
  const byLocale = { ...(s.templates?.[locale] ?? {}) };
  if (text.subject === "" && text.intro === "") delete byLocale[event];
  else byLocale[event] = text;
  return { ...s, templates: { ...(s.templates ?? {}), [locale]: byLocale } };
}

function Editor({ initial }: { initial: EmailSettings }) {
  const { t } = useI18n();
  const [s, setS] = useState<EmailSettings>(initial);
  const [dirty, setDirty] = useState(false);
  const [event, setEvent] = useState("shipped");
  const [locale, setLocale] = useState(initial.primary_locale || "en");
  const [shipmentId, setShipmentId] = useState("");
  const [preview, setPreview] = useState<EmailPreview>();
  const [previewError, setPreviewError] = useState<string>();
  const [message, setMessage] = useState<{ tone: "success" | "critical" | "warning"; text: string }>();
  const change = (next: EmailSettings) => {
    setS(next);
    setDirty(true);
  };
  const brand = (k: keyof Branding) => (v: string) => change({ ...s, branding: { ...s.branding, [k]: v } });
  const text = s.templates?.[locale]?.[event] ?? emptyText;
  const setText = (field: keyof EmailTemplateText) => (v: string) => change(withTemplate(s, locale, event, { ...text, [field]: v }));
  const events = orderedEvents(s.events);
  const placeholders = s.placeholders?.length ? s.placeholders : defaultPlaceholders;

  // The request the preview and the test send share: the event, language
  // and shipment chosen, with the branding and texts being edited.
  const request = (): PreviewRequest => ({
    event, locale, branding: s.branding, template: text, ...(shipmentId ? { shipment_id: shipmentId } : {}),
  });

  // The live preview follows every edit (not yet saved).
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      api<EmailPreview>("/notifications/preview", { method: "POST", body: JSON.stringify(request()) })
        .then((p) => {
          if (!live) return;
          setPreview(p);
          setPreviewError(undefined);
        })
        .catch((e: Error) => live && setPreviewError(e.message));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [s.branding, event, locale, shipmentId, text.subject, text.intro]);

  const save = async () => {
    try {
      setS(await api<EmailSettings>("/notifications/settings", { method: "PUT", body: JSON.stringify(s) }));
      setDirty(false);
      setMessage({ tone: "success", text: t("saved") });
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    }
  };
  const test = async () => {
    try {
      const r = await api<TestEmailResult>("/notifications/test", { method: "POST", body: JSON.stringify(request()) });
      setMessage(r.sent ? { tone: "success", text: t("emails.test.sent", { to: r.to }) } : { tone: "warning", text: t("emails.test.notSent", { to: r.to }) });
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    }
  };
  const eventOptions = events.map((e) => ({ value: e, label: labelOf(t, "event", e) }));
  const localeOptions = s.locales.map((l) => ({ label: languageName(t, l), value: l }));
  return (
    <BlockStack gap="400">
      <Text as="h1" variant="headingXl">{t("notif.title")}</Text>
      {message && <Banner tone={message.tone} onDismiss={() => setMessage(undefined)}><p id="notif-message">{message.text}</p></Banner>}
      <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
        <BlockStack gap="400">
          <Card>
            <ChoiceList title={t("notif.who")} selected={[s.customer_emails]} onChange={([v]) => change({ ...s, customer_emails: v })}
              choices={[{ label: t("notif.waybill"), value: "waybill" }, { label: t("notif.shopify"), value: "shopify" }]} />
          </Card>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">{t("notif.branding")}</Text>
              <TextField label={t("notif.logo")} value={s.branding.logo_url} onChange={brand("logo_url")} autoComplete="off" />
              <TextField label={t("notif.accent")} id="accent-color" value={s.branding.accent_color} onChange={brand("accent_color")} placeholder="#1f6feb" autoComplete="off" />
              <TextField label={t("notif.sender")} value={s.branding.sender_name} onChange={brand("sender_name")} autoComplete="off" />
              <TextField label={t("notif.replyTo")} type="email" value={s.branding.reply_to} onChange={brand("reply_to")} autoComplete="off" />
              <TextField label={t("notif.footer")} value={s.branding.footer_text} onChange={brand("footer_text")} multiline={2} autoComplete="off" />
              <Select label={t("notif.locale")} value={s.primary_locale} onChange={(v) => change({ ...s, primary_locale: v })} options={localeOptions} />
            </BlockStack>
          </Card>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">{t("notif.events")}</Text>
              {events.map((e) => (
                <Checkbox key={e} id={`event-${e}`} checked={!s.disabled_events?.[e]}
                  label={
                    <InlineStack gap="200" blockAlign="center">
                      <span>{labelOf(t, "event", e)}</span>
                      {optionalEvents.includes(e) && <Badge>{t("notif.optional")}</Badge>}
                    </InlineStack>
                  }
                  helpText={has(`eventHelp.${e}`) ? labelOf(t, "eventHelp", e) : undefined}
                  onChange={(on) => change({ ...s, disabled_events: { ...s.disabled_events, [e]: !on } })} />
              ))}
            </BlockStack>
          </Card>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">{t("emails.texts")}</Text>
              <Text as="p" tone="subdued">{t("emails.textsHelp")}</Text>
              <InlineStack gap="300" wrap>
                <Select label={t("emails.event")} id="text-event" value={event} onChange={setEvent}
                  options={eventOptions.map((o) => (s.templates?.[locale]?.[o.value] ? { ...o, label: `${o.label} · ${t("emails.customised")}` } : o))} />
                <Select label={t("emails.language")} id="text-locale" value={locale} onChange={setLocale} options={localeOptions} />
              </InlineStack>
              <TextField label={t("emails.subject")} id="text-subject" value={text.subject} onChange={setText("subject")} autoComplete="off"
                placeholder={text.subject === "" && preview ? preview.subject : undefined} helpText={text.subject === "" ? t("emails.defaultText") : undefined}
                maxLength={1000}
                connectedRight={<Button onClick={() => setText("subject")("")} disabled={text.subject === ""} accessibilityLabel={t("emails.resetSubject")}>{t("emails.reset")}</Button>} />
              <TextField label={t("emails.intro")} id="text-intro" value={text.intro} onChange={setText("intro")} autoComplete="off" multiline={3}
                helpText={text.intro === "" ? t("emails.defaultText") : undefined} maxLength={1000} />
              <InlineStack>
                <Button onClick={() => setText("intro")("")} disabled={text.intro === ""} accessibilityLabel={t("emails.resetIntro")}>{t("emails.reset")}</Button>
              </InlineStack>
              <Text as="p">{t("emails.placeholders")}</Text>
              <ul id="placeholders" style={{ margin: 0, paddingLeft: 20 }}>
                {placeholders.map((p) => (
                  <li key={p}>
                    <InlineStack gap="200" blockAlign="center">
                      <code>{`{{.${p}}}`}</code>
                      <Text as="span" tone="subdued">{has(`emails.ph.${p}`) ? t(`emails.ph.${p}` as Key) : p}</Text>
                      <Button variant="plain" onClick={() => setText("intro")(`${text.intro}{{.${p}}}`)}
                        accessibilityLabel={t("emails.insert", { placeholder: `{{.${p}}}` })}>+</Button>
                    </InlineStack>
                  </li>
                ))}
              </ul>
            </BlockStack>
          </Card>
          {dirty && <Text as="p" tone="caution">{t("emails.unsaved")}</Text>}
          <Button variant="primary" onClick={save} id="save-settings">{t("save")}</Button>
        </BlockStack>
        <Card>
          <BlockStack gap="300">
            <Text as="h2" variant="headingMd">{t("notif.preview")}</Text>
            <InlineStack gap="300" wrap>
              <Select label={t("emails.event")} id="preview-event" value={event} onChange={setEvent} options={eventOptions} />
              <Select label={t("notif.previewLocale")} id="preview-locale" value={locale} onChange={setLocale} options={localeOptions} />
            </InlineStack>
            <ShipmentPicker value={shipmentId} onChange={setShipmentId} />
            {previewError && <Banner tone="critical"><p id="preview-error">{t("emails.previewError", { message: previewError })}</p></Banner>}
            <Text as="p" variant="headingSm" id="preview-subject">{preview?.subject ?? "…"}</Text>
            <PreviewFrame title={t("notif.preview")} html={preview?.html ?? ""} />
            <Button onClick={test} id="send-test">{t("notif.test")}</Button>
          </BlockStack>
        </Card>
      </InlineGrid>
    </BlockStack>
  );
}

// ShipmentPicker chooses the shipment the preview is about: sample data, or
// one of this store's shipments found by order.
function ShipmentPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const { t } = useI18n();
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), 300);
    return () => clearTimeout(timer);
  }, [q]);
  const list = useApi<ShipmentList>(`/shipments${query ? `?q=${encodeURIComponent(query)}` : ""}`);
  const options = [{ value: "", label: t("emails.sample") }];
  for (const s of list.data?.shipments ?? []) {
    options.push({ value: s.id, label: `${s.order_name || s.order_ref} · ${s.carrier || "—"} ${s.tracking_number}` });
  }
  return (
    <InlineStack gap="300" wrap>
      <TextField label={t("emails.findShipment")} id="preview-find" value={q} onChange={setQ} autoComplete="off" />
      <Select label={t("emails.previewWith")} id="preview-shipment" value={value} onChange={onChange} options={options} />
    </InlineStack>
  );
}

// PreviewFrame shows the email as the customer sees it. Its height follows
// the email, so the footer is never cut off: the frame may read its own
// document (same origin) but runs no script (no allow-scripts).
function PreviewFrame({ title, html }: { title: string; html: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(640);
  const fit = () => {
    const doc = frame.current?.contentDocument;
    const h = doc?.documentElement ? Math.max(doc.documentElement.scrollHeight, doc.body?.scrollHeight ?? 0) : 0;
    if (h > 0) setHeight(h + 24);
  };
  return (
    <iframe ref={frame} title={title} id="email-preview" sandbox="allow-same-origin" srcDoc={html} onLoad={fit}
      style={{ width: "100%", height, minHeight: 320, border: "1px solid #e1e3e5", borderRadius: 8, overflow: "auto" }} />
  );
}
