import { BlockStack, Button, Card, Checkbox, DataTable, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { useEffect, useMemo, useState } from "react";
import { sessionToken } from "../api";
import { labelOf, useI18n, type T } from "../i18n";
import { stateReasonText } from "../messages";
import { filtersToQuery, pageCount, parcelStatuses, queryToFilters } from "../logic";
import { useRoute } from "../router";
import type { ShipmentFilters, ShipmentList } from "../types";
import { Empty, Link, Loaded, ParcelBadge, StalledBadge, StateBadge, date, useApi } from "../ui";

export function Shipments() {
  const { t, locale } = useI18n();
  const { search, navigate } = useRoute();
  // The filters are the URL's: a control shows what the list was asked for in
  // the same render, with no copy to fall out of step. Only the text being
  // typed (search, carrier) is a draft until it is applied.
  const f = useMemo<ShipmentFilters>(() => queryToFilters(search), [search]);
  const [q, setQ] = useState(f.q ?? "");
  const [carrier, setCarrier] = useState(f.carrier ?? "");
  useEffect(() => {
    setQ(f.q ?? "");
    setCarrier(f.carrier ?? "");
  }, [f]);
  const list = useApi<ShipmentList>(`/shipments${filtersToQuery(f)}`);
  const apply = (next: ShipmentFilters) => navigate(`/shipments${filtersToQuery({ ...next, page: next.page ?? 1 })}`);
  const states = ["", "pending", "syncing", "synced", "failed", "needs_attention", "cancelled"];
  const sources = ["", "api", "csv", "manual", "shopify"];
  return (
    <BlockStack gap="400">
      <InlineStack align="space-between" blockAlign="center">
        <Text as="h1" variant="headingXl">{t("ship.title")}</Text>
        <ExportButton query={filtersToQuery({ ...f, page: undefined })} />
      </InlineStack>
      <Card>
        <BlockStack gap="300">
          <form onSubmit={(e) => { e.preventDefault(); apply({ ...f, q }); }}>
            <TextField label={t("ship.search")} labelHidden placeholder={t("ship.search")} value={q} onChange={setQ} autoComplete="off"
              onBlur={() => q !== (f.q ?? "") && apply({ ...f, q })} />
          </form>
          <InlineStack gap="300" wrap>
            <Select label={t("ship.state")} value={f.state ?? ""} onChange={(v) => apply({ ...f, state: v })}
              options={states.map((s) => ({ value: s, label: s ? t(`state.${s}` as Parameters<T>[0]) : t("ship.all") }))} />
            <Select label={t("ship.source")} value={f.source ?? ""} onChange={(v) => apply({ ...f, source: v })}
              options={sources.map((s) => ({ value: s, label: s ? t(`source.${s}` as Parameters<T>[0]) : t("ship.all") }))} />
            <Select label={t("ship.parcelStatus")} value={f.status ?? ""} onChange={(v) => apply({ ...f, status: v })}
              options={["", ...parcelStatuses].map((s) => ({ value: s, label: s ? labelOf(t, "parcel", s) : t("ship.all") }))} />
            <TextField label={t("ship.carrier")} value={carrier} onChange={setCarrier} onBlur={() => carrier !== (f.carrier ?? "") && apply({ ...f, carrier })} autoComplete="off" />
            <TextField label={t("ship.from")} type="date" value={f.from ?? ""} onChange={(v) => apply({ ...f, from: v })} autoComplete="off" />
            <TextField label={t("ship.to")} type="date" value={f.to ?? ""} onChange={(v) => apply({ ...f, to: v })} autoComplete="off" />
          </InlineStack>
          <Checkbox label={t("ship.stalledOnly")} checked={!!f.stalled} onChange={(on) => apply({ ...f, stalled: on })} />
        </BlockStack>
      </Card>
      <Loaded state={list}>
        {(d) =>
          d.shipments.length === 0 ? (
            <Empty heading={t("ship.empty")} />
          ) : (
            <Card padding="0">
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "text", "text"]}
                headings={[t("ship.order"), t("ship.number"), t("ship.carrier"), t("ship.state"), t("ship.status"), t("ship.created")]}
                rows={d.shipments.map((s) => [
                  <span data-stalled={s.stalled_at ? "true" : undefined}>
                    {s.stalled_at && <span aria-hidden="true"><Text as="span" tone="critical" fontWeight="bold">{"⚠ "}</Text></span>}
                    <Link to={`/shipments/${s.id}`}>{s.order_name || s.order_ref}</Link>
                  </span>,
                  <span data-shipment-id={s.id}>{s.tracking_number}</span>,
                  s.carrier || "—",
                  <BlockStack gap="100">
                    <StateBadge state={s.state} />
                    {stateReasonText(t, locale, s) && <span data-state-reason={s.state_code || undefined}><Text as="span" tone="subdued" variant="bodySm">{stateReasonText(t, locale, s)}</Text></span>}
                  </BlockStack>,
                  <InlineStack gap="100" wrap={false}>
                    <ParcelBadge status={s.status} />
                    {s.stalled_at && <StalledBadge />}
                  </InlineStack>,
                  date(s.created_at),
                ])}
              />
              <InlineStack align="center" gap="300" blockAlign="center">
                <Button disabled={d.page <= 1} onClick={() => apply({ ...f, page: d.page - 1 })}>{t("ship.prev")}</Button>
                <Text as="span">{t("ship.page", { page: d.page, pages: pageCount(d.total, d.per_page) })}</Text>
                <Button disabled={d.page >= pageCount(d.total, d.per_page)} onClick={() => apply({ ...f, page: d.page + 1 })}>{t("ship.next")}</Button>
              </InlineStack>
            </Card>
          )
        }
      </Loaded>
    </BlockStack>
  );
}

// ExportButton downloads the shipments the filters select as CSV
// (GET /shipments/export.csv with the same query; the session token rides
// in a header, so the file comes through fetch and a blob link).
function ExportButton({ query }: { query: string }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const run = async () => {
    setBusy(true);
    setError("");
    try {
      const res = await fetch(`/api/admin/shipments/export.csv${query}`, { headers: { Authorization: `Bearer ${await sessionToken()}` } });
      if (!res.ok) throw new Error(((await res.json().catch(() => ({}))) as { message?: string }).message || `HTTP ${res.status}`);
      const name = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") ?? "")?.[1] ?? "waybill-shipments.csv";
      const a = document.createElement("a");
      a.href = URL.createObjectURL(await res.blob());
      a.download = name;
      a.click();
      URL.revokeObjectURL(a.href);
    } catch (e) {
      setError(t("insights.exportFailed", { error: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <InlineStack gap="200" blockAlign="center">
      {error && <Text as="span" tone="critical">{error}</Text>}
      <Button onClick={run} loading={busy} accessibilityLabel={busy ? t("insights.exporting") : undefined}>{t("insights.exportCsv")}</Button>
    </InlineStack>
  );
}
