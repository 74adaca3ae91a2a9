import { Banner, BlockStack, Button, Card, InlineStack, List, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { api } from "../api";
import { has, labelOf, useI18n } from "../i18n";
import { eventText, stateReasonText } from "../messages";
import { deliveryEstimate, safeHref } from "../logic";
import type { CustomerText, Shipment, ShipmentDetailResponse, ShipmentUpdate } from "../types";
import { Loaded, ParcelBadge, StalledBadge, StateBadge, date, useApi } from "../ui";
import { ResendEmail, reasonText } from "./EmailLog";
import { channelName, textReasonText, textStatusText } from "./MessageLog";

export function ShipmentDetail({ id }: { id: string }) {
  const { t, locale } = useI18n();
  const detail = useApi<ShipmentDetailResponse>(`/shipments/${encodeURIComponent(id)}`);
  const [number, setNumber] = useState("");
  const [carrier, setCarrier] = useState("");
  const [message, setMessage] = useState<{ tone: "success" | "critical"; text: string }>();
  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      setMessage({ tone: "success", text: t("detail.done") });
      detail.reload();
    } catch (e) {
      setMessage({ tone: "critical", text: (e as Error).message });
    }
  };
  return (
    <Loaded state={detail}>
      {(d) => (
        <BlockStack gap="400">
          <InlineStack gap="300" blockAlign="center">
            <Text as="h1" variant="headingXl">{t("detail.title", { number: d.shipment.tracking_number })}</Text>
            <StateBadge state={d.shipment.state} />
          </InlineStack>
          {message && <Banner tone={message.tone} onDismiss={() => setMessage(undefined)}>{message.text}</Banner>}
          {stateReasonText(t, locale, d.shipment) && <Banner tone="warning" title={t("detail.reason")}>{stateReasonText(t, locale, d.shipment)}</Banner>}
          <Parcel s={d.shipment} />
          <Card>
            <BlockStack gap="200">
              <Text as="p">{d.shipment.order_name || d.shipment.order_ref} · {d.shipment.carrier || "—"}</Text>
              {d.shipment.tracking_url && <TrackingLink url={d.shipment.tracking_url} />}
              <Text as="h2" variant="headingSm">{t("detail.lines")}</Text>
              {d.shipment.line_items?.length ? (
                <List>{d.shipment.line_items.map((l, i) => <List.Item key={i}>{l.title || l.sku} × {l.quantity}</List.Item>)}</List>
              ) : (
                <Text as="p" tone="subdued">{t("detail.allItems")}</Text>
              )}
              <InlineStack gap="200">
                {(d.shipment.state === "failed" || d.shipment.state === "needs_attention") && (
                  <Button variant="primary" onClick={() => act(() => api(`/shipments/${id}/retry`, { method: "POST" }))}>{t("detail.retry")}</Button>
                )}
              </InlineStack>
            </BlockStack>
          </Card>
          {d.shipment.state === "synced" && <ResendEmail shipment={d.shipment} onDone={detail.reload} />}
          <Card>
            <form onSubmit={(e) => {
              e.preventDefault();
              const body: ShipmentUpdate = { tracking_number: number, carrier };
              act(() => api(`/shipments/${id}`, { method: "PATCH", body: JSON.stringify(body) }));
            }}>
              <BlockStack gap="200">
                <Text as="h2" variant="headingSm">{t("detail.edit")}</Text>
                <InlineStack gap="200" wrap>
                  <TextField label={t("ship.number")} value={number} onChange={setNumber} placeholder={d.shipment.tracking_number} autoComplete="off" />
                  <TextField label={t("ship.carrier")} value={carrier} onChange={setCarrier} placeholder={d.shipment.carrier} autoComplete="off" />
                </InlineStack>
                <InlineStack><Button submit>{t("save")}</Button></InlineStack>
              </BlockStack>
            </form>
          </Card>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingSm">{t("detail.history")}</Text>
              <List>{d.history.map((h, i) => <List.Item key={i}>{date(h.created_at)} — {eventText(t, locale, h)}</List.Item>)}</List>
              {d.checkpoints.length > 0 && <Text as="h2" variant="headingSm">{t("detail.checkpoints")}</Text>}
              <List>{d.checkpoints.map((c, i) => <List.Item key={i}>{date(c.happened_at)} — {labelOf(t, "parcel", c.status)} {c.location} {c.message}</List.Item>)}</List>
              {d.emails.length > 0 && <Text as="h2" variant="headingSm">{t("detail.emails")}</Text>}
              <List>{d.emails.map((m, i) => <List.Item key={i}>{date(m.queued_at)} — {labelOf(t, "event", m.event)}: {labelOf(t, "emails.status", m.status)}{m.status !== "sent" && (m.reason || m.detail) ? ` — ${reasonText(t, { reason: m.reason ?? "", detail: m.detail })}` : ""}</List.Item>)}</List>
              {(d.texts?.length ?? 0) > 0 && <Text as="h2" variant="headingSm">{t("texts.detail.title")}</Text>}
              <List>{(d.texts ?? []).map((m) => (
                <List.Item key={m.id}>
                  <span data-text={m.id}>
                    {date(m.queued_at)} — {channelName(t, m.channel)} · {labelOf(t, "event", m.event)}: {textStatusText(t, m.status)}
                    {textReached(m) ? ` (${date(textReached(m))})` : ""}
                    {textFailed(m) && (m.reason || m.detail) ? ` — ${textReasonText(t, m)}` : ""}
                  </span>
                </List.Item>
              ))}</List>
            </BlockStack>
          </Card>
        </BlockStack>
      )}
    </Loaded>
  );
}

// Parcel is where the parcel is: its status and who reported it, the
// delivery estimate, why it stalled, and its tracking service registration.
function Parcel({ s }: { s: Shipment }) {
  const { t, locale } = useI18n();
  const estimate = deliveryEstimate(s, locale);
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingSm">{t("detail.parcel")}</Text>
        <InlineStack gap="200" blockAlign="center">
          <ParcelBadge status={s.status} />
          {s.stalled_at && <StalledBadge />}
          <Text as="span" tone="subdued" id="parcel-source">
            {s.status_source ? labelOf(t, "via", s.status_source) : t("detail.noSource")}
          </Text>
        </InlineStack>
        {estimate && (
          <Text as="p" id="parcel-estimate">
            {estimate.kind === "carrier" ? t("detail.eta", { date: estimate.text }) : t("detail.window", { range: estimate.text })}
          </Text>
        )}
        {s.stalled_at && (
          <Banner tone="warning" title={t("detail.stalledSince", { date: date(s.stalled_at) })}>
            {s.stalled_reason ? labelOf(t, "stall", s.stalled_reason) : null}
          </Banner>
        )}
        {(s.shipped_at || s.last_event_at) && (
          <Text as="p" tone="subdued">
            {s.shipped_at && `${t("detail.shippedAt")}: ${date(s.shipped_at)}`}
            {s.shipped_at && s.last_event_at && " · "}
            {s.last_event_at && `${t("detail.lastEvent")}: ${date(s.last_event_at)}`}
          </Text>
        )}
        {s.tracker_state && (
          <Text as="p" id="parcel-tracker">
            {t("detail.tracker")}: {labelOf(t, "tracker", s.tracker_state)}
            {/* Rows written before the reasons were codes held the provider's English: not shown. */}
            {s.tracker_detail && has(`trackerDetail.${s.tracker_detail}`) ? ` — ${labelOf(t, "trackerDetail", s.tracker_detail)}` : ""}
          </Text>
        )}
      </BlockStack>
    </Card>
  );
}

// TrackingLink is the carrier's page: a link only for an http(s) URL, the
// text alone otherwise.
function TrackingLink({ url }: { url: string }) {
  const href = safeHref(url);
  if (!href) return <Text as="p" tone="subdued">{url}</Text>;
  return <a href={href} target="_blank" rel="noopener noreferrer">{url}</a>;
}

// textReached is when a text last moved forward: read, delivered or sent.
function textReached(m: CustomerText): string | null {
  return m.read_at ?? m.delivered_at ?? m.sent_at ?? null;
}

// textFailed says whether a text did not reach the customer.
function textFailed(m: CustomerText): boolean {
  return m.status === "failed" || m.status === "suppressed" || m.status === "skipped";
}
