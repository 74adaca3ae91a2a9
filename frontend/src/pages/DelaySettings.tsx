import { Banner, BlockStack, Button, Card, InlineGrid, InlineStack, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { api } from "../api";
import { useI18n } from "../i18n";
import { MAX_DAYS, checkDraft, toDraft, type DraftProblem, type TrackingDraft, type WindowDraft } from "../logic";
import type { TrackingSettings } from "../types";

// DelaySettings edits when a parcel counts as stalled and the transit
// windows that estimate its delivery; it checks the server's rules before
// saving and shows the server's message when it refuses.
export function DelaySettings({ saved, onSaved }: { saved: TrackingSettings; onSaved: (s: TrackingSettings) => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<TrackingDraft>(() => toDraft(saved));
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: "success" | "critical"; text: string }>();
  const { problems, settings } = checkDraft(draft, saved.shopify_tracking);
  const err = (field: string) => {
    const p: DraftProblem | undefined = tried ? problems[field] : undefined;
    return p ? t(`val.${p}`) : undefined;
  };
  const setRow = (i: number, patch: Partial<WindowDraft>) =>
    setDraft({ ...draft, transit_windows: draft.transit_windows.map((w, j) => (j === i ? { ...w, ...patch } : w)) });

  const save = async () => {
    setTried(true);
    setMessage(undefined);
    if (!settings) {
      setMessage({ tone: "critical", text: t("delay.fix") });
      return;
    }
    setBusy(true);
    try {
      // The switch for Shopify's tracking saves on its own: keep its latest value.
      const next = await api<TrackingSettings>("/tracking-settings", { method: "PUT", body: JSON.stringify({ ...settings, shopify_tracking: saved.shopify_tracking }) });
      onSaved(next);
      setDraft(toDraft(next));
      setTried(false);
      setMessage({ tone: "success", text: t("saved") });
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <form onSubmit={(e) => { e.preventDefault(); save(); }} noValidate>
        <BlockStack gap="300">
          <Text as="h2" variant="headingMd">{t("delay.title")}</Text>
          <Text as="p" tone="subdued">{t("delay.help")}</Text>
          {message && <Banner tone={message.tone} onDismiss={() => setMessage(undefined)}>{message.text}</Banner>}
          <InlineGrid columns={{ xs: 1, sm: 2 }} gap="300">
            <TextField label={t("delay.domestic")} type="number" min={1} max={MAX_DAYS} id="stall-domestic" autoComplete="off"
              value={draft.stall_days_domestic} onChange={(v) => setDraft({ ...draft, stall_days_domestic: v })} error={err("stall_days_domestic")} />
            <TextField label={t("delay.crossBorder")} type="number" min={1} max={MAX_DAYS} id="stall-cross-border" autoComplete="off"
              value={draft.stall_days_cross_border} onChange={(v) => setDraft({ ...draft, stall_days_cross_border: v })} error={err("stall_days_cross_border")} />
          </InlineGrid>
          <Text as="h3" variant="headingSm">{t("delay.windows")}</Text>
          <Text as="p" tone="subdued">{t("delay.windowsHelp")}</Text>
          {err("transit_windows") && <Text as="p" tone="critical">{err("transit_windows")}</Text>}
          {draft.transit_windows.length === 0 && <Text as="p" tone="subdued">{t("delay.noWindows")}</Text>}
          {draft.transit_windows.map((w, i) => {
            const at = `transit_windows.${i}.`;
            return (
              <div key={i} data-window-row={i}>
                <InlineStack gap="200" blockAlign="start" wrap>
                  <div style={{ width: "9rem" }}>
                    <TextField label={t("delay.country")} value={w.country} maxLength={2} autoComplete="off"
                      onChange={(v) => setRow(i, { country: v.toUpperCase() })} error={err(at + "country")} />
                  </div>
                  <div style={{ width: "12rem" }}>
                    <TextField label={t("delay.carrier")} value={w.carrier} autoComplete="off" onChange={(v) => setRow(i, { carrier: v })} error={err(at + "carrier")} />
                  </div>
                  <div style={{ width: "8rem" }}>
                    <TextField label={t("delay.min")} type="number" min={0} max={MAX_DAYS} value={w.min_days} autoComplete="off"
                      onChange={(v) => setRow(i, { min_days: v })} error={err(at + "min_days")} />
                  </div>
                  <div style={{ width: "8rem" }}>
                    <TextField label={t("delay.max")} type="number" min={1} max={MAX_DAYS} value={w.max_days} autoComplete="off"
                      onChange={(v) => setRow(i, { max_days: v })} error={err(at + "max_days")} />
                  </div>
                  <div style={{ paddingTop: "1.6rem" }}>
                    <Button variant="plain" tone="critical" accessibilityLabel={t("delay.removeRow", { n: i + 1 })}
                      onClick={() => setDraft({ ...draft, transit_windows: draft.transit_windows.filter((_, j) => j !== i) })}>
                      {t("src.remove")}
                    </Button>
                  </div>
                </InlineStack>
              </div>
            );
          })}
          <InlineStack gap="200">
            <Button onClick={() => setDraft({ ...draft, transit_windows: [...draft.transit_windows, { country: "", carrier: "", min_days: "", max_days: "" }] })}>
              {t("delay.addRow")}
            </Button>
            <Button submit variant="primary" loading={busy} id="save-tracking">{t("save")}</Button>
          </InlineStack>
        </BlockStack>
      </form>
    </Card>
  );
}
