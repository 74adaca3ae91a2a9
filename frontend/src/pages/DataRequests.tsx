// DataRequests: the customer data requests Shopify sent (customers/data_request)
// with what Waybill holds about each customer, ready to send to them.
import { Badge, BlockStack, Box, Button, ButtonGroup, Card, Divider, InlineStack, Text } from "@shopify/polaris";
import { useState } from "react";
import { labelOf, useI18n, type Locale, type T } from "../i18n";
import type { DataRequest, DataRequestList, DataRequestOrder, DataRequestShipment, DataRequestText } from "../types";
import { Empty, Loaded, toast, useApi } from "../ui";

function when(locale: Locale, s?: string | null): string {
  if (!s) return "—";
  return new Date(s).toLocaleString(locale === "es" ? "es-ES" : "en-GB", { dateStyle: "long", timeStyle: "short" });
}

function country(locale: Locale, code: string): string {
  if (!code) return "—";
  try {
    return new Intl.DisplayNames([locale], { type: "region" }).of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

function customerName(t: T, d: DataRequest): string {
  return d.customer.email || (d.customer.id ? t("shell.dr.customerId", { id: d.customer.id }) : t("shell.dr.noEmail"));
}

// requested names the orders Shopify named, by name where Waybill knows them.
function requested(t: T, d: DataRequest): string {
  if (d.orders_requested.length === 0) return t("shell.dr.noneRequested");
  const names = new Map(d.report.orders.map((o) => [o.id, o.name]));
  return t("shell.dr.requested", { orders: d.orders_requested.map((id) => names.get(id) || String(id)).join(", ") });
}

function parcel(t: T, s: DataRequestShipment): string {
  return s.status ? labelOf(t, "parcel", s.status) : labelOf(t, "state", s.state);
}

// textLine says what a WhatsApp or SMS message was about, where it got to
// and when it went (queued, for one never sent).
function textLine(t: T, locale: Locale, m: DataRequestText): string {
  return t("shell.dr.text", {
    channel: labelOf(t, "texts.channel", m.channel), event: labelOf(t, "event", m.event),
    status: labelOf(t, "texts.status", m.status), date: when(locale, m.sent_at || m.queued_at),
  });
}

function counts(t: T, d: DataRequest): string {
  return t("shell.dr.counts", { orders: d.report.orders.length, shipments: d.report.shipments.length, texts: d.report.texts.length });
}

// textsOf are the texts about the order's shipments.
function textsOf(d: DataRequest, orderID: number): DataRequestText[] {
  return d.report.texts.filter((m) => m.order_id === orderID);
}

// reportText is the request as plain text in the merchant's language, to
// paste into the reply to the customer.
export function reportText(t: T, locale: Locale, d: DataRequest): string {
  const out = [t("shell.dr.textTitle", { customer: customerName(t, d), date: when(locale, d.created_at) }), ""];
  if (d.report.orders.length === 0 && d.report.shipments.length === 0) out.push(t("shell.dr.nothing"));
  for (const o of d.report.orders) {
    out.push(t("shell.dr.order", { name: o.name || String(o.id) }));
    out.push(`  ${t("shell.dr.email")}: ${o.email || "—"}`);
    out.push(`  ${t("shell.dr.firstName")}: ${o.customer_first_name || "—"}`);
    out.push(`  ${t("shell.dr.country")}: ${country(locale, o.shipping_country)}`);
    out.push(`  ${t("shell.dr.language")}: ${o.customer_locale || "—"}`);
    out.push(`  ${t("shell.dr.phone")}: ${o.phone || "—"}`);
    if (o.notify_phone) out.push(`  ${t("shell.dr.notifyPhone")}: ${o.notify_phone}`);
    if (o.line_items.length > 0) out.push(`  ${t("shell.dr.items")}:`);
    for (const l of o.line_items) out.push(`    ${t("shell.dr.item", { quantity: l.quantity, title: l.title || l.sku || "—" })}${l.sku ? ` (SKU ${l.sku})` : ""}`);
    for (const s of d.report.shipments.filter((s) => s.order_id === o.id)) {
      out.push(`  ${t("shell.dr.shipment", { number: s.tracking_number })}`);
      out.push(`    ${t("shell.dr.carrier")}: ${s.carrier || "—"}`);
      out.push(`    ${t("shell.dr.status")}: ${parcel(t, s)}`);
      out.push(`    ${t("shell.dr.shipped")}: ${when(locale, s.shipped_at)}`);
      if (s.tracking_url) out.push(`    ${t("shell.dr.link")}: ${s.tracking_url}`);
    }
    const texts = textsOf(d, o.id);
    if (texts.length > 0) out.push(`  ${t("shell.dr.texts")}:`);
    for (const m of texts) out.push(`    ${t("shell.dr.shipment", { number: m.tracking_number })} · ${textLine(t, locale, m)}`);
    out.push("");
  }
  return out.join("\n").trimEnd() + "\n";
}

function download(d: DataRequest) {
  const blob = new Blob([JSON.stringify(d, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `waybill-data-request-${d.created_at.slice(0, 10)}-${d.id}.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

function OrderBlock({ order, shipments, texts }: { order: DataRequestOrder; shipments: DataRequestShipment[]; texts: DataRequestText[] }) {
  const { t, locale } = useI18n();
  const field = (label: string, value: string) => (
    <Text as="p"><Text as="span" tone="subdued">{label}:</Text> {value || "—"}</Text>
  );
  return (
    <BlockStack gap="100">
      <Text as="h3" variant="headingSm">{t("shell.dr.order", { name: order.name || String(order.id) })}</Text>
      {field(t("shell.dr.email"), order.email)}
      {field(t("shell.dr.firstName"), order.customer_first_name)}
      {field(t("shell.dr.country"), country(locale, order.shipping_country))}
      {field(t("shell.dr.language"), order.customer_locale)}
      {field(t("shell.dr.phone"), order.phone)}
      {order.notify_phone && field(t("shell.dr.notifyPhone"), order.notify_phone)}
      {order.line_items.length > 0 && (
        <Box>
          <Text as="p" tone="subdued">{t("shell.dr.items")}:</Text>
          <ul>
            {order.line_items.map((l) => (
              <li key={l.id}>{t("shell.dr.item", { quantity: l.quantity, title: l.title || l.sku || "—" })}{l.sku ? ` (SKU ${l.sku})` : ""}</li>
            ))}
          </ul>
        </Box>
      )}
      {shipments.length > 0 && (
        <Box>
          <Text as="p" tone="subdued">{t("shell.dr.shipments")}:</Text>
          <ul>
            {shipments.map((s) => (
              <li key={s.id}>
                {t("shell.dr.shipment", { number: s.tracking_number })} · {s.carrier || "—"} · <Badge>{parcel(t, s)}</Badge>
                {s.shipped_at && <> · {t("shell.dr.shipped")}: {when(locale, s.shipped_at)}</>}
              </li>
            ))}
          </ul>
        </Box>
      )}
      {texts.length > 0 && (
        <Box>
          <Text as="p" tone="subdued">{t("shell.dr.texts")}:</Text>
          <ul>
            {texts.map((m) => (
              <li key={m.id}>{t("shell.dr.shipment", { number: m.tracking_number })} · {textLine(t, locale, m)}</li>
            ))}
          </ul>
        </Box>
      )}
    </BlockStack>
  );
}

function RequestCard({ d }: { d: DataRequest }) {
  const { t, locale } = useI18n();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(reportText(t, locale, d));
      toast(t("shell.dr.copied"));
    } catch {
      toast(t("shell.dr.copyFailed"), { error: true });
    }
  };
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack align="space-between" blockAlign="start" gap="200">
          <BlockStack gap="100">
            <Text as="h2" variant="headingMd">{customerName(t, d)}</Text>
            {d.customer.email && d.customer.id > 0 && <Text as="p" tone="subdued">{t("shell.dr.customerId", { id: d.customer.id })}</Text>}
            <Text as="p" tone="subdued">{t("shell.dr.received", { date: when(locale, d.created_at) })}</Text>
            <Text as="p">{requested(t, d)}</Text>
            <Text as="p">{counts(t, d)}</Text>
          </BlockStack>
          <ButtonGroup>
            <Button onClick={copy}>{t("shell.dr.copy")}</Button>
            <Button onClick={() => download(d)}>{t("shell.dr.download")}</Button>
          </ButtonGroup>
        </InlineStack>
        <Divider />
        {d.report.orders.length === 0 && d.report.shipments.length === 0 ? (
          <Text as="p" tone="subdued">{t("shell.dr.nothing")}</Text>
        ) : (
          <BlockStack gap="300">
            {d.report.orders.map((o) => (
              <OrderBlock key={o.id} order={o} shipments={d.report.shipments.filter((s) => s.order_id === o.id)} texts={textsOf(d, o.id)} />
            ))}
          </BlockStack>
        )}
      </BlockStack>
    </Card>
  );
}

export function DataRequests() {
  const { t } = useI18n();
  const [page, setPage] = useState(1);
  const list = useApi<DataRequestList>(`/data-requests?page=${page}`);
  return (
    <BlockStack gap="400">
      <Text as="h1" variant="headingXl">{t("shell.dr.title")}</Text>
      <Text as="p">{t("shell.dr.help")}</Text>
      <Loaded state={list}>
        {(l) => {
          const pages = Math.max(1, Math.ceil(l.total / (l.per_page || 50)));
          if (l.data_requests.length === 0 && page === 1)
            return (
              <Empty heading={t("shell.dr.empty")}>
                <p>{t("shell.dr.emptyHelp")}</p>
              </Empty>
            );
          return (
            <BlockStack gap="300">
              {l.data_requests.map((d) => <RequestCard key={d.id} d={d} />)}
              {pages > 1 && (
                <InlineStack gap="200" blockAlign="center" align="center">
                  <Button disabled={page <= 1} onClick={() => setPage(page - 1)}>{t("ship.prev")}</Button>
                  <Text as="span">{t("ship.page", { page, pages })}</Text>
                  <Button disabled={page >= pages} onClick={() => setPage(page + 1)}>{t("ship.next")}</Button>
                </InlineStack>
              )}
            </BlockStack>
          );
        }}
      </Loaded>
    </BlockStack>
  );
}
