// Orders: the orders waiting for a tracking number, oldest first, each with
// a form to add one (number, carrier detected as it is typed, items and
// quantities); below, adding a number to an order already fulfilled.
import { Badge, Banner, BlockStack, Box, Button, Card, Divider, FormLayout, InlineStack, Page, Text, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { api } from "../api";
import { useI18n, type T } from "../i18n";
import { pageCount } from "../logic";
import { messageText } from "../messages";
import type { AwaitingOrder, AwaitingPage, CarrierGuess, SubmitResult } from "../types";
import { Empty, Loaded, errorText, useApi } from "../ui";

// detectDelay: the carrier is asked for once typing pauses.
export const detectDelay = 400;

// ageText says how long an order has waited: "hoy", "hace 1 día", "hace 3 días".
export function ageText(t: T, days: number): string {
  if (days <= 0) return t("orders.today");
  if (days === 1) return t("orders.daysAgo1");
  return t("orders.daysAgo", { n: days });
}

// countryName names an ISO country code in the admin's language ("MX" → "México").
export function countryName(locale: string, code: string): string {
  if (!code) return "—";
  try {
    return new Intl.DisplayNames([locale], { type: "region" }).of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

// useCarrierGuess asks the server which carrier a number belongs to, once
// typing pauses; stale answers are dropped.
function useCarrierGuess(number: string): CarrierGuess | undefined {
  const [guess, setGuess] = useState<CarrierGuess>();
  useEffect(() => {
    const n = number.trim();
    if (n.length < 4) {
      setGuess(undefined);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      api<CarrierGuess>(`/carriers/detect?number=${encodeURIComponent(n)}`)
        .then((g) => live && setGuess(g))
        .catch(() => live && setGuess(undefined)); // a guess is optional: the server detects again on submit
    }, detectDelay);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [number]);
  return guess;
}

// TrackingFields are the number and the carrier, pre-filled from the
// detection until the merchant types a carrier of their own.
function TrackingFields({ id, number, setNumber, carrier, setCarrier }: {
  id: string; number: string; setNumber: (v: string) => void; carrier: string; setCarrier: (v: string) => void;
}) {
  const { t } = useI18n();
  const guess = useCarrierGuess(number);
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (!touched) setCarrier(guess?.carrier ?? "");
  }, [guess, touched, setCarrier]);
  const ambiguous = guess && !guess.carrier && guess.candidates.length > 1;
  return (
    <>
      <TextField id={`${id}-number`} label={t("orders.number")} value={number} onChange={setNumber} autoComplete="off" />
      <TextField id={`${id}-carrier`} label={t("orders.carrier")} value={carrier} autoComplete="off"
        helpText={ambiguous ? t("orders.carrierAmbiguous", { names: guess.candidates.join(", ") }) : t("orders.carrierHelp")}
        onChange={(v) => {
          setTouched(true);
          setCarrier(v);
        }} />
    </>
  );
}

type Outcome = { tone: "success" | "warning" | "critical"; text: string };

// outcomeOf puts a submitted row's result in words.
function outcomeOf(t: T, r: SubmitResult | undefined): Outcome {
  if (!r) return { tone: "critical", text: t("orders.rejected", { reason: "—" }) };
  // The server's reasons are codes, said in the merchant's language.
  if (r.status === "rejected") return { tone: "critical", text: t("orders.rejected", { reason: messageText(t, r.error_code, r.error_params) || "—" }) };
  if (r.status === "duplicate") return { tone: "warning", text: t("orders.duplicate") };
  if (r.warning_code) return { tone: "warning", text: t("orders.warning", { reason: messageText(t, r.warning_code, r.warning_params) }) };
  return { tone: "success", text: t("orders.accepted") };
}

// submit sends one manual entry (the supplier API's row) and says what came of it.
async function submit(t: T, row: Record<string, unknown>): Promise<Outcome> {
  try {
    const res = await api<{ results: SubmitResult[] }>("/shipments", { method: "POST", body: JSON.stringify([row]) });
    return outcomeOf(t, res.results[0]);
  } catch (e) {
    return { tone: "critical", text: errorText(t, e) };
  }
}

function AddTracking({ order, onClose }: { order: AwaitingOrder; onClose: () => void }) {
  const { t } = useI18n();
  const id = `order-${order.id}`;
  const [number, setNumber] = useState("");
  const [carrier, setCarrier] = useState("");
  const open = order.line_items.filter((li) => li.fulfillable_quantity > 0);
  const [qty, setQty] = useState<Record<number, string>>(() => Object.fromEntries(open.map((li) => [li.id, String(li.fulfillable_quantity)])));
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();

  const send = async () => {
    if (!number.trim()) return setOutcome({ tone: "critical", text: t("orders.numberRequired") });
    const lines = open
      .map((li) => ({ line_item_id: li.id, quantity: Math.min(li.fulfillable_quantity, Math.max(0, Math.floor(Number(qty[li.id]) || 0))) }))
      .filter((l) => l.quantity > 0);
    if (lines.length === 0) return setOutcome({ tone: "critical", text: t("orders.nothingSelected") });
    setSending(true);
    const row: Record<string, unknown> = { order: order.name, tracking_number: number.trim(), line_items: lines };
    if (carrier.trim()) row.carrier = carrier.trim();
    setOutcome(await submit(t, row));
    setSending(false);
  };

  return (
    <Box paddingBlockStart="300">
      <FormLayout>
        <TrackingFields id={id} number={number} setNumber={setNumber} carrier={carrier} setCarrier={setCarrier} />
        <FormLayout.Group condensed>
          {open.map((li) => (
            <TextField key={li.id} id={`${id}-qty-${li.id}`} type="number" min={0} max={li.fulfillable_quantity} autoComplete="off"
              label={t("orders.quantity", { sku: li.sku || li.title, max: li.fulfillable_quantity })}
              value={qty[li.id] ?? ""} onChange={(v) => setQty((q) => ({ ...q, [li.id]: v }))} />
          ))}
        </FormLayout.Group>
        {outcome && <Banner tone={outcome.tone}><p>{outcome.text}</p></Banner>}
        <InlineStack gap="200">
          <Button variant="primary" onClick={send} loading={sending} accessibilityLabel={`${t("orders.submit")} ${order.name}`}>
            {sending ? t("orders.sending") : t("orders.submit")}
          </Button>
          <Button onClick={onClose}>{t("orders.close")}</Button>
        </InlineStack>
      </FormLayout>
    </Box>
  );
}

function OrderRow({ order }: { order: AwaitingOrder }) {
  const { t, locale } = useI18n();
  const [adding, setAdding] = useState(false);
  const suppliers = [...new Set(order.line_items.map((li) => li.supplier).filter(Boolean))];
  return (
    <Box paddingBlock="300" id={`order-${order.id}`}>
      <BlockStack gap="200">
        <InlineStack align="space-between" blockAlign="start" gap="400" wrap>
          <BlockStack gap="100">
            <InlineStack gap="200" blockAlign="center">
              <Text as="h3" variant="headingSm">{order.name}</Text>
              <Text as="span" tone="subdued">{ageText(t, order.age_days)}</Text>
              {order.fulfilled && <Badge tone="attention">{t("orders.partly")}</Badge>}
            </InlineStack>
            {order.line_items.map((li) => (
              <Text as="p" key={li.id}>
                {li.fulfillable_quantity < li.quantity
                  ? t("orders.itemLeft", { qty: li.quantity, title: li.title || li.sku, left: li.fulfillable_quantity })
                  : t("orders.itemLine", { qty: li.quantity, title: li.title || li.sku })}
                {li.sku && li.title ? <Text as="span" tone="subdued"> · {li.sku}</Text> : null}
              </Text>
            ))}
          </BlockStack>
          <BlockStack gap="100">
            <Text as="p"><Text as="span" tone="subdued">{t("orders.destination")}:</Text> {countryName(locale, order.shipping_country)}</Text>
            <Text as="p"><Text as="span" tone="subdued">{t("orders.supplier")}:</Text> {suppliers.length ? suppliers.join(", ") : t("orders.noSupplier")}</Text>
          </BlockStack>
          {!adding && <Button onClick={() => setAdding(true)} accessibilityLabel={`${t("orders.add")} ${order.name}`}>{t("orders.add")}</Button>}
        </InlineStack>
        {adding && <AddTracking order={order} onClose={() => setAdding(false)} />}
      </BlockStack>
    </Box>
  );
}

// FulfilledEntry adds a number to any order by name: one already fulfilled
// without a number gets it on that fulfillment.
function FulfilledEntry() {
  const { t } = useI18n();
  const [order, setOrder] = useState("");
  const [number, setNumber] = useState("");
  const [carrier, setCarrier] = useState("");
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();
  const send = async () => {
    if (!order.trim()) return setOutcome({ tone: "critical", text: t("orders.orderRequired") });
    if (!number.trim()) return setOutcome({ tone: "critical", text: t("orders.numberRequired") });
    setSending(true);
    const row: Record<string, unknown> = { order: order.trim(), tracking_number: number.trim() };
    if (carrier.trim()) row.carrier = carrier.trim();
    setOutcome(await submit(t, row));
    setSending(false);
  };
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">{t("orders.fulfilledTitle")}</Text>
        <Text as="p" tone="subdued">{t("orders.fulfilledHelp")}</Text>
        <FormLayout>
          <TextField id="fulfilled-order" label={t("orders.orderName")} value={order} onChange={setOrder} autoComplete="off" placeholder="#1001" />
          <TrackingFields id="fulfilled" number={number} setNumber={setNumber} carrier={carrier} setCarrier={setCarrier} />
          {outcome && <Banner tone={outcome.tone}><p>{outcome.text}</p></Banner>}
          <Button onClick={send} loading={sending}>{t("orders.submit")}</Button>
        </FormLayout>
      </BlockStack>
    </Card>
  );
}

export function Orders() {
  const { t } = useI18n();
  const [page, setPage] = useState(1);
  const state = useApi<AwaitingPage>(page > 1 ? `/orders/awaiting?page=${page}` : "/orders/awaiting");
  return (
    <Page title={t("orders.title")} subtitle={t("orders.subtitle")}>
      <BlockStack gap="400">
        <Loaded state={state}>
          {(d) =>
            d.total === 0 ? (
              <Empty heading={t("orders.empty")}><p>{t("orders.emptyBody")}</p></Empty>
            ) : (
              <Card>
                <BlockStack gap="200">
                  <Text as="p" tone="subdued" id="orders-count">{t("orders.count", { n: d.total })}</Text>
                  {d.orders.map((o, i) => (
                    <BlockStack key={o.id}>
                      {i > 0 && <Divider />}
                      <OrderRow order={o} />
                    </BlockStack>
                  ))}
                  {d.total > d.per_page && (
                    <InlineStack gap="200" blockAlign="center">
                      <Button disabled={d.page <= 1} onClick={() => setPage(d.page - 1)}>{t("orders.prev")}</Button>
                      <Text as="span">{t("orders.page", { page: d.page, pages: pageCount(d.total, d.per_page) })}</Text>
                      <Button disabled={d.page >= pageCount(d.total, d.per_page)} onClick={() => setPage(d.page + 1)}>{t("orders.next")}</Button>
                    </InlineStack>
                  )}
                </BlockStack>
              </Card>
            )
          }
        </Loaded>
        <FulfilledEntry />
      </BlockStack>
    </Page>
  );
}
