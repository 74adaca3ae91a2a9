import { Banner, BlockStack, Card, DataTable, InlineGrid, InlineStack, ResourceList, Select, Text } from "@shopify/polaris";
import { useState } from "react";
import { kindLabel, useI18n } from "../i18n";
import { eventText } from "../messages";
import type { Stats, TextChannel, TextCounts } from "../types";
import { channelName, textChannels } from "./MessageLog";
import { Link, Loaded, Stat, date, useApi } from "../ui";

export function Dashboard() {
  const { t, locale } = useI18n();
  const [period, setPeriod] = useState("7");
  const stats = useApi<Stats>("/stats");
  return (
    <BlockStack gap="400">
      <Text as="h1" variant="headingXl">{t("dash.title")}</Text>
      <Loaded state={stats}>
        {(s) => {
          const c = period === "7" ? s.last_7_days : s.last_30_days;
          return (
            <BlockStack gap="400">
              {s.shop.needs_reauth && <Banner tone="critical">{t("dash.reauth")}</Banner>}
              <Select label="" labelHidden value={period} onChange={setPeriod}
                options={[{ label: t("dash.period7"), value: "7" }, { label: t("dash.period30"), value: "30" }]} />
              <InlineGrid columns={{ xs: 2, md: 4 }} gap="300">
                <Stat testId="stat-awaiting" label={t("dash.awaiting")} linkLabel={t("shell.dash.awaitingLink")} value={c.awaiting_tracking} to="/orders" />
                <Stat testId="stat-synced" label={t("dash.synced")} linkLabel={t("shell.dash.syncedLink")} value={c.synced} to="/shipments?state=synced" />
                <Stat testId="stat-failed" label={t("dash.failed")} linkLabel={t("shell.dash.failedLink")} value={c.failed} to="/shipments?state=failed" />
                <Stat testId="stat-attention" label={t("dash.attention")} linkLabel={t("shell.dash.attentionLink")} value={c.needs_attention} to="/shipments?state=needs_attention" />
                <Stat testId="stat-stalled" label={t("dash.stalled")} value={c.stalled ?? 0} to="/shipments?stalled=true"
                  linkLabel={t("dash.stalledLink")} tone="critical" />
                <Stat testId="stat-pending" label={t("dash.pending")} linkLabel={t("shell.dash.pendingLink")} value={c.pending} to="/shipments?state=pending" />
                <Stat testId="stat-emails" label={t("dash.emails")} linkLabel={t("shell.dash.emailsLink")} value={c.emails_sent} to="/notifications" />
                <Stat testId="stat-unsubscribes" label={t("dash.unsubscribes")} linkLabel={t("shell.dash.unsubscribesLink")} value={c.unsubscribes} to="/notifications" />
              </InlineGrid>
              <TextCard counts={s.texts} />
              <Card>
                <BlockStack gap="200">
                  <Text as="h2" variant="headingMd">{t("dash.activity")}</Text>
                  {s.activity.length === 0 ? (
                    <Text as="p" tone="subdued">{t("dash.noActivity")}</Text>
                  ) : (
                    <ResourceList
                      items={s.activity}
                      renderItem={(a) => (
                        <ResourceList.Item id={a.shipment_id + a.at} onClick={() => {}}>
                          <Link to={`/shipments/${a.shipment_id}`}>{a.order_name || "—"}</Link> · <Text as="span" fontWeight="semibold">{kindLabel(t, a.kind)}</Text>{" "}
                          <Text as="span">{eventText(t, locale, a)}</Text>{" "}
                          <Text as="span" tone="subdued">{date(a.at)}</Text>
                        </ResourceList.Item>
                      )}
                    />
                  )}
                </BlockStack>
              </Card>
            </BlockStack>
          );
        }}
      </Loaded>
    </BlockStack>
  );
}

// textTotals are a channel's texts of the period as a merchant counts them:
// sent is everything the provider accepted (whatever became of it since),
// delivered includes the read ones.
export function textTotals(c: Partial<Record<string, number>> = {}) {
  const n = (k: string) => c[k] ?? 0;
  return { sent: n("sent") + n("delivered") + n("read"), delivered: n("delivered") + n("read"), read: n("read"), failed: n("failed") };
}

// TextCard is the last 30 days' WhatsApp and SMS messages, per channel,
// with the way to the message log (or to Channels when there are none).
function TextCard({ counts }: { counts?: TextCounts }) {
  const { t } = useI18n();
  const channels = textChannels.filter((c) => counts?.[c] && Object.values(counts[c] ?? {}).some((n) => (n ?? 0) > 0));
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingMd">{t("texts.dash.title")}</Text>
        {channels.length === 0 ? (
          <InlineStack gap="300" blockAlign="center">
            <Text as="p" tone="subdued">{t("texts.dash.none")}</Text>
            <Link to="/channels" id="text-connect-link" label={t("texts.dash.connect")}>{t("texts.dash.connect")}</Link>
          </InlineStack>
        ) : (
          <>
            <div id="text-counts">
              <DataTable
                columnContentTypes={["text", "numeric", "numeric", "numeric", "numeric"]}
                headings={["", t("texts.dash.sent"), t("texts.dash.delivered"), t("texts.dash.read"), t("texts.dash.failed")]}
                rows={channels.map((c: TextChannel) => {
                  const n = textTotals(counts?.[c]);
                  return [
                    channelName(t, c),
                    n.sent, n.delivered, c === "sms" ? "—" : n.read,
                    <Text as="span" tone={n.failed > 0 ? "critical" : undefined}>{n.failed}</Text>,
                  ];
                })}
              />
            </div>
            <Link to="/messages" id="text-log-link" label={t("texts.dash.link")}>{t("texts.dash.link")}</Link>
          </>
        )}
      </BlockStack>
    </Card>
  );
}
