// Channels: the shop's own WhatsApp Business number (Meta's Cloud API) and
// Twilio account for customer texts — connecting them (secrets are sent
// once and never shown again), what to paste at the provider, a test
// message to the merchant's phone, WhatsApp's templates — and which
// updates go out on each channel, with the tracking page's contact button.
import { Badge, Banner, BlockStack, Box, Button, Card, Checkbox, DataTable, InlineStack, List, Text, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { api } from "../api";
import { has, labelOf, useI18n, type Key, type T } from "../i18n";
import type {
  ChannelConnect, ChannelCreated, ChannelList, ChannelTestResult, ChannelView, ContactOptions, TemplateList, TextChannel, TextSettings, TextTemplate,
} from "../types";
import { CopyField, Loaded, date, languageName, useApi } from "../ui";
import { channelName, textChannels } from "./MessageLog";

// The text events, when the server names none (app.TextEvents).
export const fallbackTextEvents = ["shipped", "out_for_delivery", "attempted_delivery", "ready_for_pickup", "delivered", "delivery_exception", "delayed"];

// Events off until the merchant switches them on (app.OptInEvents).
const optIn = new Set(["delayed"]);

const providerOf: Record<TextChannel, string> = { whatsapp: "meta", sms: "twilio" };
const providerName = (t: T, p: string) => labelOf(t, "texts.provider", p);

// checkText says a connection's test or check outcome in the admin's
// language: the code in words, else the provider's own words, else the code.
export function checkText(t: T, provider: string, code: string, detail?: string): string {
  const key = `texts.check.${code}`;
  if (has(key)) return t(key, { provider: providerName(t, provider) });
  return detail || code;
}

export function Channels() {
  const { t } = useI18n();
  const list = useApi<ChannelList>("/channels");
  const settings = useApi<TextSettings>("/texts/settings");
  const connected = new Set((list.data?.channels ?? []).map((c) => c.channel));
  return (
    <BlockStack gap="400">
      <Text as="h1" variant="headingXl">{t("texts.ch.title")}</Text>
      <Text as="p">{t("texts.ch.intro")}</Text>
      <Loaded state={list}>
        {(d) => (
          <BlockStack gap="400">
            {textChannels.map((ch) => (
              <ChannelCard key={ch} channel={ch} conn={d.channels.find((c) => c.channel === ch)} reload={list.reload} />
            ))}
          </BlockStack>
        )}
      </Loaded>
      <Loaded state={settings}>{(s) => <TextSwitches saved={s} connected={list.data ? connected : undefined} />}</Loaded>
    </BlockStack>
  );
}

// ChannelCard is one channel: its connection, or the form to connect it.
function ChannelCard({ channel, conn, reload }: { channel: TextChannel; conn?: ChannelView; reload: () => void }) {
  const { t } = useI18n();
  // created is the connection this page just made, shown at once (the
  // list is read again behind it).
  const [created, setCreated] = useState<ChannelView>();
  const [replacing, setReplacing] = useState(false);
  const [notice, setNotice] = useState<string>();
  const shown = created && (!conn || conn.id !== created.id) ? created : conn;
  const title = channel === "whatsapp" ? t("texts.ch.whatsappTitle") : t("texts.ch.smsTitle");
  return (
    <div data-channel={channel}>
      <Card>
        <BlockStack gap="400">
          <InlineStack gap="200" blockAlign="center">
            <Text as="h2" variant="headingLg">{title}</Text>
            {shown && <Badge tone="success">{providerName(t, shown.provider)}</Badge>}
          </InlineStack>
          {notice && <Banner tone="success" onDismiss={() => setNotice(undefined)}>{notice}</Banner>}
          {shown && !replacing ? (
            <Connection conn={shown} fresh={created?.id === shown.id}
              onReplace={() => setReplacing(true)}
              onDisconnected={() => {
                setCreated(undefined);
                setNotice(t("texts.ch.disconnected", { channel: channelName(t, channel) }));
                reload();
              }} />
          ) : (
            <ConnectForm channel={channel} replacing={!!shown}
              onCancel={shown ? () => setReplacing(false) : undefined}
              onConnected={(v) => {
                setCreated(v);
                setReplacing(false);
                setNotice(undefined);
                reload();
              }} />
          )}
        </BlockStack>
      </Card>
    </div>
  );
}

// ConnectForm connects a channel: the provider's ids and secrets (sent
// this once), and the merchant's phone for tests.
function ConnectForm({ channel, replacing, onConnected, onCancel }: {
  channel: TextChannel; replacing: boolean; onConnected: (v: ChannelView) => void; onCancel?: () => void;
}) {
  const { t } = useI18n();
  const wa = channel === "whatsapp";
  const [f, setF] = useState({ account_id: "", sender_id: "", token: "", app_secret: "", test_phone: "" });
  const [missing, setMissing] = useState<Record<string, boolean>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const set = (k: keyof typeof f) => (v: string) => setF((x) => ({ ...x, [k]: v }));
  const required: (keyof typeof f)[] = wa ? ["account_id", "sender_id", "token", "app_secret"] : ["account_id", "sender_id", "token"];

  const submit = async () => {
    const gaps = Object.fromEntries(required.map((k) => [k, !f[k].trim()]));
    setMissing(gaps);
    if (Object.values(gaps).some(Boolean)) return;
    setBusy(true);
    setError(undefined);
    try {
      const body: ChannelConnect = {
        channel, account_id: f.account_id.trim(), sender_id: f.sender_id.trim(), token: f.token.trim(),
        app_secret: wa ? f.app_secret.trim() : "", test_phone: f.test_phone.trim(),
      };
      const r = await api<ChannelCreated>("/channels", { method: "POST", body: JSON.stringify(body) });
      setF({ account_id: "", sender_id: "", token: "", app_secret: "", test_phone: "" });
      onConnected(r.channel);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const req = (k: string) => (missing[k] ? t("texts.f.required") : undefined);
  const id = (k: string) => `${channel}-${k}`;
  return (
    <form onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <BlockStack gap="300">
        <Text as="p" tone="subdued">
          {replacing ? t("texts.ch.replaceHelp") : wa ? t("texts.ch.notConnected") : t("texts.ch.smsNotConnected")}
        </Text>
        <Text as="p">{wa ? t("texts.ch.whatsappHelp") : t("texts.ch.smsHelp")}</Text>
        {error && <Banner tone="critical" title={t("error.title")} onDismiss={() => setError(undefined)}>{error}</Banner>}
        <TextField id={id("account")} label={wa ? t("texts.f.wabaId") : t("texts.f.accountSid")} value={f.account_id} onChange={set("account_id")}
          helpText={wa ? t("texts.f.wabaIdHelp") : t("texts.f.accountSidHelp")} autoComplete="off" error={req("account_id")}
          placeholder={wa ? "102290129340398" : "AC…"} />
        <TextField id={id("sender")} label={wa ? t("texts.f.phoneId") : t("texts.f.sender")} value={f.sender_id} onChange={set("sender_id")}
          helpText={wa ? t("texts.f.phoneIdHelp") : t("texts.f.senderHelp")} autoComplete="off" error={req("sender_id")}
          placeholder={wa ? "106540352242922" : "+34… / MG…"} />
        <TextField id={id("token")} type="password" label={wa ? t("texts.f.accessToken") : t("texts.f.authToken")} value={f.token} onChange={set("token")}
          helpText={wa ? t("texts.f.accessTokenHelp") : t("texts.f.authTokenHelp")} autoComplete="new-password" error={req("token")} />
        {wa && (
          <TextField id={id("secret")} type="password" label={t("texts.f.appSecret")} value={f.app_secret} onChange={set("app_secret")}
            helpText={t("texts.f.appSecretHelp")} autoComplete="new-password" error={req("app_secret")} />
        )}
        <TextField id={id("phone")} type="tel" label={t("texts.f.testPhone")} value={f.test_phone} onChange={set("test_phone")}
          helpText={t("texts.f.testPhoneHelp")} autoComplete="tel" placeholder="+34 612 345 678" />
        <InlineStack gap="200">
          <Button submit variant="primary" loading={busy}>{wa ? t("texts.ch.connectWhatsapp") : t("texts.ch.connectSms")}</Button>
          {onCancel && <Button onClick={onCancel}>{t("texts.ch.cancel")}</Button>}
        </InlineStack>
      </BlockStack>
    </form>
  );
}

// Connection is a connected account: what identifies it, its last test,
// what to paste at the provider, a test message, its templates.
function Connection({ conn, fresh, onReplace, onDisconnected }: {
  conn: ChannelView; fresh: boolean; onReplace: () => void; onDisconnected: () => void;
}) {
  const { t } = useI18n();
  const name = channelName(t, conn.channel);
  const wa = conn.channel === "whatsapp";
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  // the last test run on this page (the list is the server's record)
  const [tested, setTested] = useState<{ error: string; detail?: string; at: string }>();
  const disconnect = async () => {
    setConfirming(false);
    setError(undefined);
    try {
      await api(`/channels/${encodeURIComponent(conn.id)}`, { method: "DELETE" });
      onDisconnected();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const lastError = tested ? tested.error : conn.check_error;
  const lastAt = tested ? tested.at : conn.checked_at;
  return (
    <BlockStack gap="400">
      {fresh && (
        <Banner tone="success" title={t("texts.ch.connected", { channel: name })}>
          <p>{t("texts.ch.connectedNext")}</p>
        </Banner>
      )}
      {error && <Banner tone="critical" title={t("error.title")} onDismiss={() => setError(undefined)}>{error}</Banner>}
      <BlockStack gap="100">
        <Text as="p"><Text as="span" tone="subdued">{wa ? t("texts.f.wabaId") : t("texts.f.accountSid")}:</Text> {conn.account_id}</Text>
        <Text as="p"><Text as="span" tone="subdued">{wa ? t("texts.f.phoneId") : t("texts.ch.sender")}:</Text> {conn.sender_id}</Text>
        <Text as="p"><Text as="span" tone="subdued">{t("texts.ch.token")}:</Text> <span data-token-hint>{conn.token_hint || "—"}</span></Text>
        <Text as="p" tone="subdued">{t("texts.ch.since", { date: date(conn.created_at) })}</Text>
        <p data-last-test={conn.channel}>
          <Text as="span" tone="subdued">{t("texts.ch.lastTest")}:</Text>{" "}
          {!lastAt ? (
            <Text as="span" tone="subdued">{t("texts.ch.never")}</Text>
          ) : (
            <>
              <Text as="span" tone={lastError ? "critical" : "success"}>
                {lastError ? checkText(t, conn.provider, lastError, tested?.detail) : t("texts.ch.works")}
              </Text>{" "}
              <Text as="span" tone="subdued">({date(lastAt)})</Text>
            </>
          )}
        </p>
      </BlockStack>
      <Setup conn={conn} />
      <TestMessage conn={conn} onTested={(r) => setTested({ error: r.sent ? "" : r.error || "request_refused", detail: r.detail, at: new Date().toISOString() })} />
      {conn.channel === "whatsapp" && <Templates conn={conn} />}
      {confirming && (
        <Banner tone="critical" title={t("texts.ch.confirmDisconnect", { channel: name })}
          action={{ content: t("texts.ch.disconnect"), onAction: disconnect }}
          secondaryAction={{ content: t("texts.ch.cancel"), onAction: () => setConfirming(false) }} />
      )}
      <InlineStack gap="300">
        <Button variant="plain" onClick={onReplace}>{t("texts.ch.replace")}</Button>
        <Button variant="plain" tone="critical" onClick={() => setConfirming(true)}
          accessibilityLabel={`${t("texts.ch.disconnect")}: ${name}`}>{t("texts.ch.disconnect")}</Button>
      </InlineStack>
    </BlockStack>
  );
}

// Setup is what to paste at the provider: Meta's callback URL and verify
// token, or the URL Twilio calls when a customer replies.
function Setup({ conn }: { conn: ChannelView }) {
  const { t } = useI18n();
  const wa = conn.channel === "whatsapp";
  const steps: Key[] = wa ? ["texts.setup.whatsapp1", "texts.setup.whatsapp2", "texts.setup.whatsapp3"] : ["texts.setup.sms1", "texts.setup.sms2", "texts.setup.sms3"];
  return (
    <Box background="bg-surface-secondary" padding="300" borderRadius="200">
      <BlockStack gap="200">
        <Text as="h3" variant="headingSm">{wa ? t("texts.setup.whatsappTitle") : t("texts.setup.smsTitle")}</Text>
        <List type="number">{steps.map((k) => <List.Item key={k}>{t(k)}</List.Item>)}</List>
        <CopyField id={`${conn.channel}-webhook-url`} label={wa ? t("texts.setup.callbackUrl") : t("texts.setup.webhookUrl")} value={conn.webhook_url} />
        {wa && conn.verify_token && <CopyField id="whatsapp-verify-token" label={t("texts.setup.verifyToken")} value={conn.verify_token} />}
      </BlockStack>
    </Box>
  );
}

// TestMessage sends a test to the merchant's own phone and says what
// became of it.
function TestMessage({ conn, onTested }: { conn: ChannelView; onTested: (r: ChannelTestResult) => void }) {
  const { t } = useI18n();
  const [to, setTo] = useState(conn.test_phone ?? "");
  useEffect(() => setTo(conn.test_phone ?? ""), [conn.id, conn.test_phone]);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ tone: "success" | "critical"; text: string; detail?: string }>();
  const provider = providerName(t, conn.provider);
  const send = async () => {
    if (!to.trim()) {
      setResult({ tone: "critical", text: t("texts.test.noPhone") });
      return;
    }
    setBusy(true);
    setResult(undefined);
    try {
      const r = await api<ChannelTestResult>(`/channels/${encodeURIComponent(conn.id)}/test`, { method: "POST", body: JSON.stringify({ to: to.trim() }) });
      onTested(r);
      if (r.sent) setResult({ tone: "success", text: t("texts.test.sent", { to: r.to }) });
      else
        setResult({
          tone: "critical", text: t("texts.test.failed", { to: r.to, reason: checkText(t, conn.provider, r.error ?? "", r.detail) }),
          detail: r.detail ? t("texts.test.detail", { provider, detail: r.detail }) : undefined,
        });
    } catch (e) {
      setResult({ tone: "critical", text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <BlockStack gap="200">
      <Text as="h3" variant="headingSm">{t("texts.test.title")}</Text>
      <form onSubmit={(e) => { e.preventDefault(); send(); }}>
        <InlineStack gap="200" blockAlign="end" wrap>
          <TextField id={`${conn.channel}-test-to`} type="tel" label={t("texts.test.phone")} value={to} onChange={setTo} autoComplete="tel"
            placeholder="+34 612 345 678" />
          <Button submit loading={busy} accessibilityLabel={`${t("texts.test.send")}: ${channelName(t, conn.channel)}`}>{t("texts.test.send")}</Button>
        </InlineStack>
      </form>
      <Text as="p" tone="subdued">{conn.channel === "whatsapp" ? t("texts.test.whatsappHelp") : t("texts.test.smsHelp")}</Text>
      {result && (
        <Banner tone={result.tone} onDismiss={() => setResult(undefined)}>
          <p data-test-result={conn.channel}>{result.text}</p>
          {result.detail && <Text as="p" tone="subdued">{result.detail}</Text>}
        </Banner>
      )}
    </BlockStack>
  );
}

type Tone = "success" | "critical" | "warning" | "attention" | undefined;
const templateTone: Record<string, Tone> = {
  approved: "success", pending: "attention", rejected: "critical", paused: "warning", disabled: "critical", missing: undefined,
};

// TemplateStatus is a template's review state in words, with Meta's
// reason when it was rejected.
function TemplateStatus({ tpl }: { tpl: TextTemplate }) {
  const { t } = useI18n();
  return (
    <BlockStack gap="100">
      <span><Badge tone={templateTone[tpl.status]}>{labelOf(t, "texts.tplStatus", tpl.status)}</Badge></span>
      {tpl.reason && tpl.reason !== "NONE" && (tpl.status === "rejected" || tpl.status === "paused" || tpl.status === "disabled") && (
        <Text as="span" tone="critical">{t("texts.tpl.reason", { reason: labelOf(t, "texts.tplReason", tpl.reason) })}</Text>
      )}
    </BlockStack>
  );
}

// Templates lists Waybill's WhatsApp templates with Meta's review of each,
// and submits the missing ones (reading the states again).
function Templates({ conn }: { conn: ChannelView }) {
  const { t } = useI18n();
  const [templates, setTemplates] = useState<TextTemplate[]>(conn.templates ?? []);
  useEffect(() => setTemplates(conn.templates ?? []), [conn]);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: "success" | "critical"; text: string }>();
  const sync = async () => {
    setBusy(true);
    setMessage(undefined);
    try {
      const r = await api<TemplateList>(`/channels/${encodeURIComponent(conn.id)}/templates`, { method: "POST" });
      setTemplates(r.templates ?? []);
      setMessage({ tone: "success", text: t("texts.tpl.synced") });
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <BlockStack gap="200">
      <Text as="h3" variant="headingSm">{t("texts.tpl.title")}</Text>
      <Text as="p" tone="subdued">{t("texts.tpl.help")}</Text>
      {message && <Banner tone={message.tone} onDismiss={() => setMessage(undefined)}>{message.text}</Banner>}
      {templates.length === 0 ? (
        <Text as="p" tone="subdued">{t("texts.tpl.none")}</Text>
      ) : (
        <div id="whatsapp-templates">
          <DataTable
            columnContentTypes={["text", "text", "text", "text"]}
            headings={[t("texts.tpl.event"), t("texts.tpl.language"), t("texts.tpl.name"), t("texts.tpl.status")]}
            rows={templates.map((tpl) => [
              labelOf(t, "event", tpl.event),
              languageName(t, tpl.language),
              <Text as="span" fontWeight="medium"><code>{tpl.name}</code></Text>,
              <TemplateStatus tpl={tpl} />,
            ])}
          />
        </div>
      )}
      <InlineStack>
        <Button onClick={sync} loading={busy}>{t("texts.tpl.sync")}</Button>
      </InlineStack>
    </BlockStack>
  );
}

// isOn says whether the shop sends texts of event on channel: on unless
// switched off, except the opt-in events, off until switched on.
export function isOn(disabled: TextSettings["disabled_events"], channel: TextChannel, event: string): boolean {
  const off = disabled?.[channel]?.[event];
  return off === undefined ? !optIn.has(event) : !off;
}

// contactOf is the contact options with an empty string for each one not set.
const contactOf = (c?: Partial<ContactOptions> | null): ContactOptions => ({ whatsapp: c?.whatsapp ?? "", email: c?.email ?? "", phone: c?.phone ?? "" });

// TextSwitches are the per channel × event switches and the tracking
// page's contact options, saved together.
function TextSwitches({ saved, connected }: { saved: TextSettings; connected?: Set<string> }) {
  const { t } = useI18n();
  const events = saved.events?.length ? saved.events : fallbackTextEvents;
  const [disabled, setDisabled] = useState<TextSettings["disabled_events"]>(saved.disabled_events ?? {});
  const [contact, setContact] = useState<ContactOptions>(contactOf(saved.contact));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: "success" | "critical"; text: string }>();
  const toggle = (ch: TextChannel, ev: string, on: boolean) => {
    setDisabled((d) => ({ ...d, [ch]: { ...(d?.[ch] ?? {}), [ev]: !on } }));
    setMessage(undefined);
  };
  const setField = (k: keyof ContactOptions) => (v: string) => {
    setContact((c) => ({ ...c, [k]: v }));
    setMessage(undefined);
  };
  const save = async () => {
    setBusy(true);
    setMessage(undefined);
    try {
      const body: TextSettings = {
        disabled_events: disabled,
        contact: { whatsapp: contact.whatsapp.trim(), email: contact.email.trim(), phone: contact.phone.trim() },
      };
      const r = await api<TextSettings | undefined>("/texts/settings", { method: "PUT", body: JSON.stringify(body) });
      if (r?.disabled_events) setDisabled(r.disabled_events);
      if (r?.contact) setContact(contactOf(r.contact));
      setMessage({ tone: "success", text: t("saved") });
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const missing = connected ? textChannels.filter((c) => !connected.has(c)) : [];
  return (
    <Card>
      <form onSubmit={(e) => { e.preventDefault(); save(); }}>
        <BlockStack gap="400">
          <BlockStack gap="200">
            <Text as="h2" variant="headingMd">{t("texts.sw.title")}</Text>
            <Text as="p" tone="subdued">{t("texts.sw.help")}</Text>
            <div id="text-switches">
              <DataTable
                columnContentTypes={["text", "text", "text"]}
                headings={[t("texts.sw.event"), ...textChannels.map((c) => channelName(t, c))]}
                rows={events.map((ev) => [
                  <BlockStack gap="0">
                    <Text as="span">{labelOf(t, "event", ev)}</Text>
                    {optIn.has(ev) && has(`eventHelp.${ev}`) && (
                      <span style={{ whiteSpace: "normal" }}><Text as="span" tone="subdued" variant="bodySm">{labelOf(t, "eventHelp", ev)}</Text></span>
                    )}
                  </BlockStack>,
                  ...textChannels.map((ch) => (
                    <Checkbox id={`switch-${ch}-${ev}`} label={t("texts.sw.toggle", { event: labelOf(t, "event", ev), channel: channelName(t, ch) })}
                      labelHidden checked={isOn(disabled, ch, ev)} onChange={(on) => toggle(ch, ev, on)} />
                  )),
                ])}
              />
            </div>
            {missing.map((c) => (
              <Text as="p" tone="subdued" key={c}>{t("texts.sw.notConnected", { channel: channelName(t, c) })}</Text>
            ))}
          </BlockStack>
          <BlockStack gap="200">
            <Text as="h2" variant="headingMd">{t("texts.contact.title")}</Text>
            <Text as="p" tone="subdued">{t("texts.contact.help")}</Text>
            <TextField id="contact-whatsapp" type="tel" label={t("texts.contact.whatsapp")} helpText={t("texts.contact.whatsappHelp")}
              value={contact.whatsapp} onChange={setField("whatsapp")} autoComplete="off" placeholder="+34 612 345 678" />
            <TextField id="contact-email" type="email" label={t("texts.contact.email")} value={contact.email} onChange={setField("email")}
              autoComplete="off" placeholder="hola@mitienda.es" />
            <TextField id="contact-phone" type="tel" label={t("texts.contact.phone")} helpText={t("texts.contact.phoneHelp")}
              value={contact.phone} onChange={setField("phone")} autoComplete="off" placeholder="+34 912 345 678" />
          </BlockStack>
          {message && <Banner tone={message.tone} onDismiss={() => setMessage(undefined)}><p id="text-settings-message">{message.text}</p></Banner>}
          <InlineStack>
            <Button submit variant="primary" loading={busy}>{t("save")}</Button>
          </InlineStack>
        </BlockStack>
      </form>
    </Card>
  );
}
