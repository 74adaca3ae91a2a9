import { Banner, BlockStack, Button, Card, Checkbox, DataTable, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { api } from "../api";
import { has, labelOf, useI18n, type T } from "../i18n";
import type {
  CreatedStatusSource, ProviderInfo, SourceTestResult, StatusSource, StatusSourceCreate, StatusSourceList, TrackingSettings,
} from "../types";
import { CopyField, Loaded, date, useApi, type Async } from "../ui";
import { DelaySettings } from "./DelaySettings";

// What the add form offers when the server names no providers.
const fallbackProviders: ProviderInfo[] = [
  { name: "17track", registers: true, needs: ["api_key"] },
  { name: "aftership", registers: true, needs: ["api_key", "webhook_secret"] },
  { name: "easypost", registers: true, needs: ["api_key", "webhook_secret"] },
  { name: "push", registers: false, needs: [] },
];

const providerName = (t: T, p: string) => labelOf(t, "provider", p);

// checkWords says a key test's outcome in the admin's language: the
// error's code in words, else the server's message, else the code.
export function checkWords(t: T, provider: string, error: string, message?: string): string {
  const key = `testErr.${error}`;
  if (has(key)) return t(key, { provider: providerName(t, provider) });
  return message || error;
}

// StatusSources is where parcel statuses come from: Shopify's own
// tracking, tracking services and 3PLs, and the delay settings.
export function StatusSources() {
  const { t } = useI18n();
  const list = useApi<StatusSourceList>("/status-sources");
  const tracking = useApi<TrackingSettings>("/tracking-settings");
  const [saved, setSaved] = useState<TrackingSettings>();
  useEffect(() => {
    if (tracking.data) setSaved(tracking.data);
  }, [tracking.data]);
  const settings: Async<TrackingSettings> = { ...tracking, data: saved };
  return (
    <BlockStack gap="400">
      <Text as="h1" variant="headingXl">{t("src.title")}</Text>
      <Text as="p">{t("src.intro")}</Text>
      <Loaded state={settings}>{(s) => <ShopifyTracking settings={s} onSaved={setSaved} />}</Loaded>
      <Sources list={list} />
      <AddSource providers={list.data?.providers} onCreated={list.reload} />
      {!tracking.error && <Loaded state={settings}>{(s) => <DelaySettings saved={s} onSaved={setSaved} />}</Loaded>}
    </BlockStack>
  );
}

// ShopifyTracking is the switch for Shopify's own carrier tracking; it
// saves at once.
function ShopifyTracking({ settings, onSaved }: { settings: TrackingSettings; onSaved: (s: TrackingSettings) => void }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const toggle = async (on: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const body: TrackingSettings = { ...settings, shopify_tracking: on };
      onSaved(await api<TrackingSettings>("/tracking-settings", { method: "PUT", body: JSON.stringify(body) }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingMd">{t("src.shopify")}</Text>
        {error && <Banner tone="critical" onDismiss={() => setError(undefined)}>{error}</Banner>}
        <Checkbox id="shopify-tracking" label={t("src.shopifyToggle")} helpText={t("src.shopifyHelp")} checked={settings.shopify_tracking}
          disabled={busy} onChange={toggle} />
      </BlockStack>
    </Card>
  );
}

// Sources lists the connected sources, each with a key test and removal.
function Sources({ list }: { list: Async<StatusSourceList> }) {
  const { t } = useI18n();
  const [results, setResults] = useState<Record<string, SourceTestResult>>({});
  const [testing, setTesting] = useState<string>();
  const [confirming, setConfirming] = useState<StatusSource>();
  const [message, setMessage] = useState<{ tone: "success" | "critical"; text: string }>();

  const [copied, setCopied] = useState<string>();
  // The webhook URL is no secret: it can be copied again at any time.
  const copyURL = (src: StatusSource) =>
    navigator.clipboard?.writeText(src.webhook_url).then(() => setCopied(src.id), () => setCopied(undefined));

  const test = async (src: StatusSource) => {
    setTesting(src.id);
    setMessage(undefined);
    try {
      const r = await api<SourceTestResult>(`/status-sources/${encodeURIComponent(src.id)}/test`, { method: "POST" });
      setResults((m) => ({ ...m, [src.id]: r }));
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    } finally {
      setTesting(undefined);
    }
  };
  const remove = async (src: StatusSource) => {
    setConfirming(undefined);
    try {
      await api(`/status-sources/${encodeURIComponent(src.id)}`, { method: "DELETE" });
      setMessage({ tone: "success", text: t("src.removed") });
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    }
    list.reload();
  };

  // The last test: this page's own if it ran one, else the server's record.
  const lastTest = (src: StatusSource) => {
    const r = results[src.id];
    const at = r?.checked_at ?? src.checked_at;
    if (!r && !src.checked_at) return <Text as="span" tone="subdued">{t("src.never")}</Text>;
    const ok = r ? r.ok : !src.check_error;
    const words = ok ? t("src.ok") : r ? checkWords(t, src.provider, r.error ?? "", r.message) : checkWords(t, src.provider, src.check_error);
    return (
      <span data-test-result={src.id} style={{ whiteSpace: "normal" }}>
        <Text as="span" tone={ok ? "success" : "critical"}>{words}</Text>{" "}
        <Text as="span" tone="subdued">{date(at)}</Text>
      </span>
    );
  };

  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">{t("src.connected")}</Text>
        {message && <Banner tone={message.tone} onDismiss={() => setMessage(undefined)}>{message.text}</Banner>}
        {confirming && (
          <Banner tone="critical" title={t("src.confirmRemove", { name: confirming.name || providerName(t, confirming.provider) })}
            action={{ content: t("src.remove"), onAction: () => remove(confirming) }}
            secondaryAction={{ content: t("src.cancel"), onAction: () => setConfirming(undefined) }} />
        )}
        <Loaded state={list}>
          {(d) =>
            d.sources.length === 0 ? (
              <Text as="p" tone="subdued">{t("src.empty")}</Text>
            ) : (
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "text"]}
                headings={[t("src.provider"), t("src.name"), t("src.keyHint"), t("src.lastTest"), ""]}
                rows={d.sources.map((src) => [
                  providerName(t, src.provider),
                  src.name || "—",
                  src.api_key_hint ? `…${src.api_key_hint}` : "—",
                  lastTest(src),
                  <InlineStack gap="200" wrap={false}>
                    {src.provider !== "push" && (
                      <Button size="slim" loading={testing === src.id} onClick={() => test(src)}
                        accessibilityLabel={`${t("src.test")}: ${src.name || providerName(t, src.provider)}`}>{t("src.test")}</Button>
                    )}
                    {src.webhook_url && (
                      <Button size="slim" variant="plain" onClick={() => copyURL(src)}
                        accessibilityLabel={`${t("src.copyUrl")}: ${src.name || providerName(t, src.provider)}`}>
                        {copied === src.id ? t("src.copied") : t("src.copyUrl")}
                      </Button>
                    )}
                    <Button size="slim" tone="critical" variant="plain" onClick={() => setConfirming(src)}
                      accessibilityLabel={`${t("src.remove")}: ${src.name || providerName(t, src.provider)}`}>{t("src.remove")}</Button>
                  </InlineStack>,
                ])}
              />
            )
          }
        </Loaded>
      </BlockStack>
    </Card>
  );
}

// AddSource connects a tracking service or a 3PL; what it answers (the
// webhook URL, a push source's secret) is shown this once.
function AddSource({ providers, onCreated }: { providers?: ProviderInfo[]; onCreated: () => void }) {
  const { t } = useI18n();
  const offered = (providers?.length ? providers : fallbackProviders).filter((p) => p.name !== "shopify");
  const [provider, setProvider] = useState<string>("");
  const [name, setName] = useState("");
  const [apiKey, setApiKey] = useState("");
  const [secret, setSecret] = useState("");
  const [missing, setMissing] = useState<Record<string, boolean>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedStatusSource>();
  const chosen = offered.find((p) => p.name === provider) ?? offered[0];
  const needs = chosen?.needs ?? [];

  const submit = async () => {
    if (!chosen) return;
    const gaps = { api_key: needs.includes("api_key") && !apiKey.trim(), webhook_secret: needs.includes("webhook_secret") && !secret.trim() };
    setMissing(gaps);
    if (gaps.api_key || gaps.webhook_secret) return;
    setBusy(true);
    setError(undefined);
    try {
      const body: StatusSourceCreate = {
        provider: chosen.name, name: name.trim() || providerName(t, chosen.name),
        api_key: needs.includes("api_key") ? apiKey.trim() : "", webhook_secret: needs.includes("webhook_secret") ? secret.trim() : "",
      };
      setCreated(await api<CreatedStatusSource>("/status-sources", { method: "POST", body: JSON.stringify(body) }));
      setName("");
      setApiKey("");
      setSecret("");
      onCreated();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">{t("src.add")}</Text>
        {created && <Created created={created} onClose={() => setCreated(undefined)} />}
        {error && <Banner tone="critical" title={t("error.title")} onDismiss={() => setError(undefined)}>{error}</Banner>}
        <form onSubmit={(e) => { e.preventDefault(); submit(); }}>
          <BlockStack gap="300">
            <Select label={t("src.provider")} id="source-provider" value={chosen?.name ?? ""} onChange={(v) => { setProvider(v); setMissing({}); }}
              options={offered.map((p) => ({ value: p.name, label: providerName(t, p.name) }))} />
            {chosen && has(`help.${chosen.name}`) && <Text as="p" tone="subdued">{labelOf(t, "help", chosen.name)}</Text>}
            {chosen?.registers && <Text as="p" tone="subdued">{t("src.registers", { provider: providerName(t, chosen.name) })}</Text>}
            <TextField label={t("src.name")} value={name} onChange={setName} placeholder={chosen ? providerName(t, chosen.name) : ""} autoComplete="off" maxLength={100} />
            {needs.includes("api_key") && (
              <TextField label={t("src.apiKey")} type="password" value={apiKey} onChange={setApiKey} autoComplete="new-password"
                error={missing.api_key ? t("src.required") : undefined} />
            )}
            {needs.includes("webhook_secret") && (
              <TextField label={t("src.webhookSecret")} type="password" value={secret} onChange={setSecret} autoComplete="new-password"
                error={missing.webhook_secret ? t("src.required") : undefined} />
            )}
            <InlineStack>
              <Button submit variant="primary" loading={busy}>{t("src.addButton")}</Button>
            </InlineStack>
          </BlockStack>
        </form>
      </BlockStack>
    </Card>
  );
}

// Created is the one-time panel after a source is added: the URL to paste
// into the provider and, for a 3PL push, the signing secret.
function Created({ created, onClose }: { created: CreatedStatusSource; onClose: () => void }) {
  const { t } = useI18n();
  const provider = created.source.provider;
  const url = created.url || created.source.webhook_url;
  return (
    <Banner tone="success" title={t("src.created", { name: created.source.name || providerName(t, provider) })} onDismiss={onClose}>
      <BlockStack gap="200">
        {has(`paste.${provider}`) && <Text as="p">{labelOf(t, "paste", provider)}</Text>}
        <CopyField label={t("src.url")} value={url} id="created-url" />
        {created.secret && (
          <>
            <CopyField label={t("src.secret")} value={created.secret} id="created-secret" />
            <Text as="p" fontWeight="semibold">{t("src.once")}</Text>
          </>
        )}
        <InlineStack>
          <Button onClick={onClose}>{t("src.close")}</Button>
        </InlineStack>
      </BlockStack>
    </Banner>
  );
}
