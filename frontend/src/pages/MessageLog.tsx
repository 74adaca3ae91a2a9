// The message log: every WhatsApp and SMS update to customers, newest
// first, searchable by order and filtered by channel and status, with why
// each was not sent and when it was sent, delivered and read. Beside it,
// the words every page uses for texts (channels, statuses, reasons).
import { Badge, BlockStack, Button, Card, DataTable, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { has, labelOf, useI18n, type Key, type T } from "../i18n";
import { pageCount } from "../logic";
import { useRoute } from "../router";
import type { CustomerText, TextChannel, TextLogEntry, TextLogPage } from "../types";
import { Empty, Link, Loaded, date, useApi } from "../ui";

export const textChannels: TextChannel[] = ["whatsapp", "sms"];
export const textStatuses = ["queued", "sent", "delivered", "read", "failed", "suppressed", "skipped"] as const;

type Tone = "success" | "critical" | "warning" | "info" | "attention" | undefined;
export const textStatusTone: Record<string, Tone> = {
  queued: undefined, sent: "info", delivered: "success", read: "success", failed: "critical", suppressed: "warning", skipped: "attention",
};

// channelName names a channel (whatsapp, sms) in the admin's language.
export const channelName = (t: T, channel: string) => labelOf(t, "texts.channel", channel);

// textStatusText names a text's status in the admin's language.
export const textStatusText = (t: T, status: string) => labelOf(t, "texts.status", status);

// The reasons that come with the provider's own words worth showing (its
// error code and title; never the number).
const providerReasons = new Set(["provider_refused", "recipient_refused", "undelivered"]);

// textReasonText says why a text was not sent, in the admin's language; an
// unknown code falls back to the server's English detail.
export function textReasonText(t: T, m: Pick<CustomerText, "reason" | "detail">): string {
  if (m.reason && has(`texts.reason.${m.reason}`)) return t(`texts.reason.${m.reason}` as Key);
  return m.detail;
}

export interface TextLogFilters {
  q?: string;
  channel?: string;
  status?: string;
  page?: number;
}

// textLogQuery is the log's query string, without empty filters.
export function textLogQuery(f: TextLogFilters): string {
  const p = new URLSearchParams();
  if (f.q) p.set("q", f.q);
  if (f.channel) p.set("channel", f.channel);
  if (f.status) p.set("status", f.status);
  if (f.page && f.page > 1) p.set("page", String(f.page));
  const s = p.toString();
  return s ? `?${s}` : "";
}

function filtersOf(search: string): TextLogFilters {
  const p = new URLSearchParams(search);
  const page = Number(p.get("page"));
  return {
    q: p.get("q") ?? undefined, channel: p.get("channel") ?? undefined, status: p.get("status") ?? undefined,
    page: page > 1 ? page : undefined,
  };
}

export function MessageLog() {
  const { t } = useI18n();
  const { search, navigate } = useRoute();
  const f = filtersOf(search);
  const [q, setQ] = useState(f.q ?? "");
  useEffect(() => setQ(filtersOf(search).q ?? ""), [search]);
  const list = useApi<TextLogPage>(`/texts${textLogQuery(f)}`);
  const apply = (next: TextLogFilters) => navigate(`/messages${textLogQuery(next)}`);
  return (
    <BlockStack gap="400">
      <InlineStack align="space-between" blockAlign="center">
        <Text as="h1" variant="headingXl">{t("texts.log.title")}</Text>
        <Link to="/emails">{t("texts.log.emails")}</Link>
      </InlineStack>
      <Card>
        <InlineStack gap="300" wrap blockAlign="end">
          <form onSubmit={(e) => { e.preventDefault(); apply({ ...f, q, page: 1 }); }}>
            <TextField label={t("texts.log.search")} id="texts-search" value={q} onChange={setQ} autoComplete="off" placeholder="#1001"
              onBlur={() => q !== (f.q ?? "") && apply({ ...f, q, page: 1 })} />
          </form>
          <Select label={t("texts.log.channel")} id="texts-channel" value={f.channel ?? ""} onChange={(v) => apply({ ...f, channel: v, page: 1 })}
            options={["", ...textChannels].map((c) => ({ value: c, label: c ? channelName(t, c) : t("texts.log.all") }))} />
          <Select label={t("texts.log.status")} id="texts-status" value={f.status ?? ""} onChange={(v) => apply({ ...f, status: v, page: 1 })}
            options={["", ...textStatuses].map((s) => ({ value: s, label: s ? textStatusText(t, s) : t("texts.log.all") }))} />
        </InlineStack>
      </Card>
      <Loaded state={list}>
        {(d) => {
          const page = d.page ?? f.page ?? 1;
          const pages = pageCount(d.total, d.per_page ?? 50);
          return d.texts.length === 0 ? (
            <Empty heading={t("texts.log.empty")}><p>{t("texts.log.emptyHelp")}</p></Empty>
          ) : (
            <Card padding="0">
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "text", "text", "text"]}
                headings={[
                  t("texts.log.order"), t("texts.log.channel"), t("texts.log.event"), t("texts.log.status"), t("texts.log.why"),
                  t("texts.log.to"), t("texts.log.when"),
                ]}
                rows={d.texts.map((m) => [
                  <BlockStack gap="0">
                    <Link to={`/shipments/${m.shipment_id}`}>{m.order_name || "—"}</Link>
                    {m.tracking_number && <Text as="span" tone="subdued" variant="bodySm">{m.tracking_number}</Text>}
                  </BlockStack>,
                  <BlockStack gap="0">
                    <Text as="span">{channelName(t, m.channel)}</Text>
                    <Segments m={m} />
                  </BlockStack>,
                  labelOf(t, "event", m.event),
                  <Badge tone={textStatusTone[m.status]}>{textStatusText(t, m.status)}</Badge>,
                  <Why m={m} />,
                  <span data-phone>{m.phone_masked || "—"}</span>,
                  <Times m={m} />,
                ])}
              />
              <InlineStack align="center" gap="300" blockAlign="center">
                <Button disabled={page <= 1} onClick={() => apply({ ...f, page: page - 1 })}>{t("emails.log.prev")}</Button>
                <Text as="span">{t("emails.log.page", { page, pages })}</Text>
                <Button disabled={page >= pages} onClick={() => apply({ ...f, page: page + 1 })}>{t("emails.log.next")}</Button>
              </InlineStack>
            </Card>
          );
        }}
      </Loaded>
    </BlockStack>
  );
}

// wrap lets a table cell's long words wrap (DataTable keeps cells on one line).
const wrap = (maxWidth: string) => ({ whiteSpace: "normal", display: "block", maxWidth }) as const;

// Why is why a text was not sent or failed, with the provider's own words
// when it refused it.
function Why({ m }: { m: TextLogEntry }) {
  const { t } = useI18n();
  if (!m.reason && !m.detail) return <Text as="span" tone="subdued">—</Text>;
  if (m.status === "sent" || m.status === "delivered" || m.status === "read") return <Text as="span" tone="subdued">—</Text>;
  return (
    <BlockStack gap="100">
      <span data-reason style={wrap("18rem")}>{textReasonText(t, m)}</span>
      {providerReasons.has(m.reason) && m.detail && <span style={wrap("18rem")}><Text as="span" tone="subdued" variant="bodySm">{m.detail}</Text></span>}
    </BlockStack>
  );
}

// Segments is an SMS's length as billed (a WhatsApp message has none):
// its parts, and whether accents or emoji made them shorter.
function Segments({ m }: { m: CustomerText }) {
  const { t } = useI18n();
  if (m.channel !== "sms" || !m.segments) return null;
  return (
    <span data-segments style={wrap("9rem")}>
      <Text as="span" tone="subdued" variant="bodySm">
        {m.segments === 1 ? t("texts.log.part") : t("texts.log.parts", { n: m.segments })}
        {m.encoding === "ucs2" ? ` · ${t("texts.log.special")}` : ""}
      </Text>
    </span>
  );
}

// Times are when a text was queued, sent, delivered and read, in the
// admin's language.
export function Times({ m }: { m: CustomerText }) {
  const { t } = useI18n();
  return (
    <BlockStack gap="0">
      <Text as="span" tone="subdued">{t("texts.log.queuedAt", { date: date(m.queued_at) })}</Text>
      {m.sent_at && <Text as="span">{t("texts.log.sentAt", { date: date(m.sent_at) })}</Text>}
      {m.delivered_at && <Text as="span">{t("texts.log.deliveredAt", { date: date(m.delivered_at) })}</Text>}
      {m.read_at && <Text as="span">{t("texts.log.readAt", { date: date(m.read_at) })}</Text>}
    </BlockStack>
  );
}
