import { Badge, Banner, BlockStack, Button, Card, Checkbox, ChoiceList, InlineGrid, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { api } from "../api";
import { has, labelOf, useI18n } from "../i18n";
import { orderedEvents } from "../logic";
import type { Branding, EmailPreview, NotificationSettings, PreviewRequest, TestEmailResult } from "../types";
import { Loaded, useApi } from "../ui";

// Emails that are off until the merchant turns them on.
const optionalEvents = ["delayed"];

export function Notifications() {
  const loaded = useApi<NotificationSettings>("/notifications/settings");
  return <Loaded state={loaded}>{(s) => <Editor initial={s} />}</Loaded>;
}

function Editor({ initial }: { initial: NotificationSettings }) {
  const { t } = useI18n();
  const [s, setS] = useState<NotificationSettings>(initial);
  const [previewLocale, setPreviewLocale] = useState(initial.primary_locale || "en");
  const [preview, setPreview] = useState<EmailPreview>();
  const [message, setMessage] = useState<{ tone: "success" | "critical"; text: string }>();
  const brand = (k: keyof Branding) => (v: string) => setS({ ...s, branding: { ...s.branding, [k]: v } });

  // The live preview follows the branding being edited (not yet saved).
  useEffect(() => {
    const timer = setTimeout(() => {
      const req: PreviewRequest = { event: "shipped", locale: previewLocale, branding: s.branding };
      api<EmailPreview>("/notifications/preview", { method: "POST", body: JSON.stringify(req) })
        .then(setPreview).catch((e: Error) => setPreview({ subject: e.message, html: "" }));
    }, 250);
    return () => clearTimeout(timer);
  }, [s.branding, previewLocale]);

  const save = async () => {
    try {
      setS(await api<NotificationSettings>("/notifications/settings", { method: "PUT", body: JSON.stringify(s) }));
      setMessage({ tone: "success", text: t("saved") });
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    }
  };
  const test = async () => {
    try {
      const req: PreviewRequest = { event: "shipped", locale: previewLocale, branding: s.branding };
      const r = await api<TestEmailResult>("/notifications/test", { method: "POST", body: JSON.stringify(req) });
      setMessage({ tone: "success", text: t("notif.testSent", { to: r.sent_to }) });
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    }
  };
  return (
    <BlockStack gap="400">
      <Text as="h1" variant="headingXl">{t("notif.title")}</Text>
      {message && <Banner tone={message.tone} onDismiss={() => setMessage(undefined)}>{message.text}</Banner>}
      <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
        <BlockStack gap="400">
          <Card>
            <ChoiceList title={t("notif.who")} selected={[s.customer_emails]} onChange={([v]) => setS({ ...s, customer_emails: v })}
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
              <Select label={t("notif.locale")} value={s.primary_locale} onChange={(v) => setS({ ...s, primary_locale: v })}
                options={s.locales.map((l) => ({ label: l, value: l }))} />
            </BlockStack>
          </Card>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">{t("notif.events")}</Text>
              {orderedEvents(s.events).map((e) => (
                <Checkbox key={e} id={`event-${e}`} checked={!s.disabled_events?.[e]}
                  label={
                    <InlineStack gap="200" blockAlign="center">
                      <span>{labelOf(t, "event", e)}</span>
                      {optionalEvents.includes(e) && <Badge>{t("notif.optional")}</Badge>}
                    </InlineStack>
                  }
                  helpText={has(`eventHelp.${e}`) ? labelOf(t, "eventHelp", e) : undefined}
                  onChange={(on) => setS({ ...s, disabled_events: { ...s.disabled_events, [e]: !on } })} />
              ))}
            </BlockStack>
          </Card>
          <Button variant="primary" onClick={save} id="save-settings">{t("save")}</Button>
        </BlockStack>
        <Card>
          <BlockStack gap="300">
            <Text as="h2" variant="headingMd">{t("notif.preview")}</Text>
            <Select label={t("notif.previewLocale")} value={previewLocale} onChange={setPreviewLocale} options={s.locales.map((l) => ({ label: l, value: l }))} />
            <Text as="p" variant="headingSm" id="preview-subject">{preview?.subject ?? "…"}</Text>
            <iframe title={t("notif.preview")} id="email-preview" sandbox="" srcDoc={preview?.html ?? ""} style={{ width: "100%", height: 560, border: "1px solid #e1e3e5", borderRadius: 8 }} />
            <Button onClick={test}>{t("notif.test")}</Button>
          </BlockStack>
        </Card>
      </InlineGrid>
    </BlockStack>
  );
}
