// The email log (every customer email, newest first, searchable by order and
// filtered by status, with why each was not sent) and the shipment's resend
// form.
import { Badge, Banner, BlockStack, Button, Card, DataTable, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { api, type ApiError } from "../api";
import { has, labelOf, useI18n, type Key, type T } from "../i18n";
import { pageCount } from "../logic";
import { useRoute } from "../router";
import type { EmailLogItem, EmailLogPage, EmailSettings, ResendRequest, Shipment } from "../types";
import { Empty, Link, Loaded, date, useApi } from "../ui";

export const emailStatuses = ["queued", "sent", "failed", "suppressed", "skipped"] as const;

const statusTone: Record<string, "success" | "critical" | "warning" | "info" | "attention" | undefined> = {
  sent: "success", failed: "critical", suppressed: "warning", skipped: "attention", queued: "info",
};

export interface EmailLogFilters {
  q?: string;
  status?: string;
  page?: number;
}

// logQuery is the log's query string, without empty filters.
export function logQuery(f: EmailLogFilters): string {
  const p = new URLSearchParams();
  if (f.q) p.set("q", f.q);
  if (f.status) p.set("status", f.status);
  if (f.page && f.page > 1) p.set("page", String(f.page));
  const s = p.toString();
  return s ? `?${s}` : "";
}

function filtersOf(search: string): EmailLogFilters {
  const p = new URLSearchParams(search);
  const page = Number(p.get("page"));
  return { q: p.get("q") ?? undefined, status: p.get("status") ?? undefined, page: page > 1 ? page : undefined };
}

// reasonText says why an email was not sent, in the admin's language; an
// unknown code falls back to the server's English detail.
export function reasonText(t: T, m: Pick<EmailLogItem, "reason" | "detail">): string {
  if (m.reason && has(`emails.reason.${m.reason}`)) return t(`emails.reason.${m.reason}` as Key);
  return m.detail;
}

export function EmailLog() {
  const { t } = useI18n();
  const { search, navigate } = useRoute();
  const f = filtersOf(search);
  const [q, setQ] = useState(f.q ?? "");
  useEffect(() => setQ(filtersOf(search).q ?? ""), [search]);
  const list = useApi<EmailLogPage>(`/notifications${logQuery(f)}`);
  const apply = (next: EmailLogFilters) => navigate(`/emails${logQuery(next)}`);
  return (
    <BlockStack gap="400">
      <Text as="h1" variant="headingXl">{t("emails.log.title")}</Text>
      <Card>
        <InlineStack gap="300" wrap blockAlign="end">
          <form onSubmit={(e) => { e.preventDefault(); apply({ ...f, q, page: 1 }); }}>
            <TextField label={t("emails.log.search")} id="log-search" value={q} onChange={setQ} autoComplete="off" placeholder="#1001"
              onBlur={() => q !== (f.q ?? "") && apply({ ...f, q, page: 1 })} />
          </form>
          <Select label={t("emails.log.status")} id="log-status" value={f.status ?? ""} onChange={(v) => apply({ ...f, status: v, page: 1 })}
            options={["", ...emailStatuses].map((s) => ({ value: s, label: s ? labelOf(t, "emails.status", s) : t("emails.log.all") }))} />
        </InlineStack>
      </Card>
      <Loaded state={list}>
        {(d) =>
          d.notifications.length === 0 ? (
            <Empty heading={t("emails.log.empty")}><p>{t("emails.log.emptyHelp")}</p></Empty>
          ) : (
            <Card padding="0">
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "text", "text"]}
                headings={[t("emails.log.when"), t("emails.log.order"), t("emails.log.event"), t("emails.log.status"), t("emails.log.to"), t("emails.log.why")]}
                rows={d.notifications.map((m) => [
                  date(m.queued_at),
                  <Link to={`/shipments/${m.shipment_id}`}>{m.order_name || m.tracking_number || "—"}</Link>,
                  labelOf(t, "event", m.event),
                  <Badge tone={statusTone[m.status]}>{labelOf(t, "emails.status", m.status)}</Badge>,
                  m.recipient || "—",
                  <Why m={m} />,
                ])}
              />
              <InlineStack align="center" gap="300" blockAlign="center">
                <Button disabled={d.page <= 1} onClick={() => apply({ ...f, page: d.page - 1 })}>{t("emails.log.prev")}</Button>
                <Text as="span">{t("emails.log.page", { page: d.page, pages: pageCount(d.total, d.per_page) })}</Text>
                <Button disabled={d.page >= pageCount(d.total, d.per_page)} onClick={() => apply({ ...f, page: d.page + 1 })}>{t("emails.log.next")}</Button>
              </InlineStack>
            </Card>
          )
        }
      </Loaded>
    </BlockStack>
  );
}

// Why is a log row's details: the reason it was not sent (with the mail
// server's own answer for a refusal), when it was sent, the personal note.
function Why({ m }: { m: EmailLogItem }) {
  const { t } = useI18n();
  return (
    <BlockStack gap="100">
      {m.status === "sent" && m.sent_at && <Text as="span" tone="subdued">{t("emails.log.sentAt", { date: date(m.sent_at) })}</Text>}
      {m.status !== "sent" && (m.reason || m.detail) && <Text as="span">{reasonText(t, m)}</Text>}
      {m.reason === "smtp_refused" && m.detail && <Text as="span" tone="subdued">{m.detail}</Text>}
      {m.note && <Text as="span" tone="subdued">{t("emails.log.note", { note: m.note })}</Text>}
    </BlockStack>
  );
}

// resendableEvents are the emails that fit a shipment now — the server's
// rule (shipping.ResendableEvents): none before it is in Shopify; shipped and
// tracking updated until delivered; the email of its parcel status; delayed
// while stalled and not delivered.
export function resendableEvents(s: Pick<Shipment, "state" | "status" | "stalled_at">): string[] {
  if (s.state !== "synced") return [];
  const out: string[] = [];
  if (s.status !== "delivered") out.push("shipped", "tracking_updated");
  const byStatus: Record<string, string> = {
    out_for_delivery: "out_for_delivery", attempted_delivery: "attempted_delivery", available_for_pickup: "ready_for_pickup",
    delivered: "delivered", exception: "delivery_exception",
  };
  if (byStatus[s.status]) out.push(byStatus[s.status]);
  if (s.stalled_at && s.status !== "delivered") out.push("delayed");
  return out;
}

// ResendEmail sends one of the shipment's emails again, with an optional
// personal note: only the emails that fit it and are switched on.
export function ResendEmail({ shipment, onDone }: { shipment: Shipment; onDone: () => void }) {
  const { t } = useI18n();
  const settings = useApi<EmailSettings>("/notifications/settings");
  const off = settings.data?.disabled_events ?? {};
  const fitting = resendableEvents(shipment);
  const events = fitting.filter((e) => !off[e]);
  const switchedOff = fitting.filter((e) => off[e]);
  const [event, setEvent] = useState("");
  const [note, setNote] = useState("");
  const [message, setMessage] = useState<{ tone: "success" | "critical"; text: string }>();
  const chosen = events.includes(event) ? event : events[0] ?? "";
  const send = async () => {
    try {
      const body: ResendRequest = { event: chosen, note };
      await api(`/shipments/${encodeURIComponent(shipment.id)}/resend`, { method: "POST", body: JSON.stringify(body) });
      setNote("");
      setMessage({ tone: "success", text: t("emails.resend.queued") });
      onDone();
    } catch (e) {
      const err = e as ApiError;
      const text = err.status === 409 && shipment.state !== "synced" ? t("emails.resend.notInShopify")
        : err.status === 409 ? t("emails.resend.refused", { message: err.message }) : err.message;
      setMessage({ tone: "critical", text });
    }
  };
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingSm">{t("emails.resend.title")}</Text>
        {message && <Banner tone={message.tone} onDismiss={() => setMessage(undefined)}><p id="resend-message">{message.text}</p></Banner>}
        {shipment.state !== "synced" ? (
          <Text as="p" tone="subdued">{t("emails.resend.notInShopify")}</Text>
        ) : events.length === 0 ? (
          <Text as="p" tone="subdued">{t("emails.resend.none")}</Text>
        ) : (
          <>
            <Select label={t("emails.resend.event")} id="resend-event" value={chosen} onChange={setEvent}
              options={events.map((e) => ({ value: e, label: labelOf(t, "event", e) }))} />
            <TextField label={t("emails.resend.note")} id="resend-note" value={note} onChange={setNote} autoComplete="off"
              maxLength={500} showCharacterCount helpText={t("emails.resend.noteHelp")} />
            <InlineStack><Button onClick={send} id="resend-send">{t("emails.resend.send")}</Button></InlineStack>
          </>
        )}
        {switchedOff.length > 0 && (
          <Text as="p" tone="subdued">{t("emails.resend.off", { events: switchedOff.map((e) => labelOf(t, "event", e)).join(", ") })}</Text>
        )}
      </BlockStack>
    </Card>
  );
}
