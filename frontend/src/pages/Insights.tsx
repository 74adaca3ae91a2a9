// Insights: per carrier, supplier or destination, how long orders take to
// ship and parcels to arrive (median and 90th percentile), the share
// delivered on time, exceptions, stalls, emails and tracking page visits —
// bars where a look says more than the table.
import { BarChart, PolarisVizProvider } from "@shopify/polaris-viz";
import "@shopify/polaris-viz/build/esm/styles.css";
import { BlockStack, Button, ButtonGroup, Card, DataTable, InlineGrid, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { useMemo, useState } from "react";
import { useI18n, type Locale, type T } from "../i18n";
import type { InsightGrouping, InsightRow, Insights as InsightsData } from "../types";
import { Empty, Loaded, useApi } from "../ui";

const groupings: InsightGrouping[] = ["carrier", "supplier", "country"];
const tabKey = { carrier: "insights.byCarrier", supplier: "insights.bySupplier", country: "insights.byCountry" } as const;
const columnKey = { carrier: "insights.carrier", supplier: "insights.supplier", country: "insights.country" } as const;

// day is a date as the API reads it (2026-11-24), on the merchant's calendar.
function day(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// lastDays is the period ending today, n days long.
export function lastDays(n: number, today = new Date()): { from: string; to: string } {
  const from = new Date(today);
  from.setDate(from.getDate() - (n - 1));
  return { from: day(from), to: day(today) };
}

// formatters for the locale: days with one decimal ("2,5" in Spanish),
// shares as percentages ("87 %"), counts with the locale's grouping.
export function formatters(locale: Locale) {
  const days = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const share = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  const count = new Intl.NumberFormat(locale);
  return {
    days: (v: number | null) => (v === null ? null : days.format(v)),
    share: (v: number | null) => (v === null ? null : share.format(v)),
    count: (v: number) => count.format(v),
  };
}

// keyLabel names a row: a country by its name in the merchant's language,
// a supplier row without an API key by its source, an unknown one as such.
export function keyLabel(t: T, locale: Locale, by: InsightGrouping, r: InsightRow): string {
  if (r.key === "") return t("insights.unknown");
  if (by === "supplier" && r.key_is_source && ["api", "csv", "manual", "shopify"].includes(r.key))
    return t(`source.${r.key}` as Parameters<T>[0]);
  if (by === "country") {
    try {
      return new Intl.DisplayNames([locale], { type: "region" }).of(r.key.toUpperCase()) ?? r.key;
    } catch {
      return r.key;
    }
  }
  return r.key;
}

// updatedLabel says how old a snapshot's figures are ("Updated 5 min ago").
export function updatedLabel(t: T, computedAt: string, now = new Date()): string {
  const minutes = Math.floor((now.getTime() - new Date(computedAt).getTime()) / 60000);
  return minutes < 1 ? t("insights.updatedNow") : t("insights.updatedAgo", { minutes });
}

export function Insights() {
  const { t, locale } = useI18n();
  const [preset, setPreset] = useState("30");
  const [custom, setCustom] = useState(() => lastDays(30));
  const [tab, setTab] = useState(0);
  const by = groupings[tab];
  const period = preset === "custom" ? custom : lastDays(Number(preset));
  const path = `/insights?${new URLSearchParams({ from: period.from, to: period.to, by }).toString()}`;
  const insights = useApi<InsightsData>(path);
  const fmt = useMemo(() => formatters(locale), [locale]);
  const none = t("insights.none");

  return (
    <BlockStack gap="400">
      <BlockStack gap="100">
        <Text as="h1" variant="headingXl">{t("insights.title")}</Text>
        <Text as="p" tone="subdued">{t("insights.subtitle")}</Text>
      </BlockStack>
      <Card>
        <InlineStack gap="300" wrap blockAlign="end">
          <Select label={t("insights.period")} value={preset} onChange={setPreset}
            options={[
              { value: "30", label: t("insights.last30") },
              { value: "90", label: t("insights.last90") },
              { value: "365", label: t("insights.last365") },
              { value: "custom", label: t("insights.custom") },
            ]} />
          {preset === "custom" && (
            <>
              <TextField label={t("insights.from")} type="date" value={custom.from} autoComplete="off"
                onChange={(v) => v && setCustom({ ...custom, from: v })} />
              <TextField label={t("insights.to")} type="date" value={custom.to} autoComplete="off"
                onChange={(v) => v && setCustom({ ...custom, to: v })} />
            </>
          )}
        </InlineStack>
      </Card>
      <ButtonGroup variant="segmented">
        {groupings.map((g, i) => (
          <Button key={g} pressed={tab === i} onClick={() => setTab(i)}>{t(tabKey[g])}</Button>
        ))}
      </ButtonGroup>
      <Loaded state={insights}>
        {(d) => {
          // From a snapshot (the presets, refreshed in the background): say how old.
          const updated = !d.live && d.computed_at
            ? <Text as="p" tone="subdued" variant="bodySm">{updatedLabel(t, d.computed_at)}</Text>
            : null;
          if (d.rows.length === 0)
            return (
              <BlockStack gap="200">
                {updated}
                <Empty heading={t("insights.empty")}><p>{t("insights.emptyBody")}</p></Empty>
              </BlockStack>
            );
          const label = (r: InsightRow) => keyLabel(t, locale, d.by, r);
          const spread = (s: { median: number | null; p90: number | null }) =>
            s.median === null || s.p90 === null ? none : t("insights.medianP90", { median: fmt.days(s.median) ?? none, p90: fmt.days(s.p90) ?? none });
          const charted = d.rows.slice(0, 12);
          return (
            <BlockStack gap="400">
              {updated}
              <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
                <Card>
                  <BlockStack gap="200">
                    <Text as="h2" variant="headingMd">{t("insights.chartDelivery")}</Text>
                    <div style={{ height: 260 }}>
                      <PolarisVizProvider>
                        <BarChart theme="Light" isAnimated={false}
                          data={[
                            { name: t("insights.median"), data: charted.map((r) => ({ key: label(r), value: r.fulfillment_to_delivery_days.median })) },
                            { name: t("insights.p90"), data: charted.map((r) => ({ key: label(r), value: r.fulfillment_to_delivery_days.p90 })) },
                          ]}
                          yAxisOptions={{ labelFormatter: (v) => fmt.days(Number(v)) ?? "" }}
                          tooltipOptions={{ valueFormatter: (v) => fmt.days(Number(v)) ?? none }} />
                      </PolarisVizProvider>
                    </div>
                  </BlockStack>
                </Card>
                <Card>
                  <BlockStack gap="200">
                    <Text as="h2" variant="headingMd">{t("insights.chartOnTime")}</Text>
                    <Text as="p" tone="subdued" variant="bodySm">{t("insights.onTimeHelp")}</Text>
                    <div style={{ height: 240 }}>
                      <PolarisVizProvider>
                        <BarChart theme="Light" isAnimated={false} direction="horizontal" showLegend={false}
                          data={[{ name: t("insights.onTime"), data: charted.map((r) => ({ key: label(r), value: r.delivered_on_time_share })) }]}
                          xAxisOptions={{ labelFormatter: (v) => fmt.share(Number(v)) ?? "" }}
                          tooltipOptions={{ valueFormatter: (v) => fmt.share(Number(v)) ?? none }} />
                      </PolarisVizProvider>
                    </div>
                  </BlockStack>
                </Card>
              </InlineGrid>
              <Card padding="0">
                <DataTable
                  columnContentTypes={["text", "numeric", "text", "text", "numeric", "numeric", "numeric", "numeric", "numeric", "numeric"]}
                  headings={[t(columnKey[d.by]), t("insights.shipments"), t("insights.orderToFulfillment"), t("insights.fulfillmentToDelivery"),
                    t("insights.delivered"), t("insights.onTime"), t("insights.exceptions"), t("insights.stalled"), t("insights.emails"), t("insights.visits")]}
                  rows={d.rows.map((r) => [label(r), fmt.count(r.shipments), spread(r.order_to_fulfillment_days), spread(r.fulfillment_to_delivery_days),
                    fmt.count(r.delivered), fmt.share(r.delivered_on_time_share) ?? none, fmt.count(r.exceptions), fmt.count(r.stalled),
                    fmt.count(r.emails_sent), fmt.count(r.tracking_page_visits)])}
                />
              </Card>
            </BlockStack>
          );
        }}
      </Loaded>
    </BlockStack>
  );
}
