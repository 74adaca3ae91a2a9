// Puts what the backend says as a code and parameters (app/message.go) into
// the admin's language: shipment history and activity lines, why a shipment
// waits or failed, and the result of an imported or entered row. Values the
// backend sends as data (parcel statuses, sources, stall reasons) are words
// too, never shown raw; only names (orders, carriers, locations, numbers)
// and Shopify's own words pass through.
import { has, kindLabel, labelOf, type Key, type T } from "./i18n";

export type Params = Record<string, string>;

// A line or a reason as the API sends it: a code with its parameters, and
// the English sentence (detail) kept for API users.
export interface Coded {
  code?: string;
  params?: Params | null;
}

// itemNumber is a line index (0-based in the API) as the merchant counts it.
const itemNumber = (index: string | undefined) => String(Number(index ?? "0") + 1);

// fieldName names the field a rule is about: order, carrier, line_items[0].sku…
function fieldName(t: T, field: string): string {
  const line = /^line_items\[(\d+)\]\.sku$/.exec(field);
  if (line) return t("messages.field.sku", { n: itemNumber(line[1]) });
  return labelOf(t, "messages.field", field);
}

// messageText says code with params, or "" when the code is not one this
// admin knows (the caller then says something of its own).
export function messageText(t: T, code: string | undefined, params: Params | null | undefined): string {
  if (!code) return "";
  const p: Params = { ...(params ?? {}) };
  const vars: Record<string, string> = { ...p };
  let key = `messages.${code}`;
  switch (code) {
    case "received":
      vars.source = labelOf(t, "messages.source", p.source ?? "");
      break;
    case "status_changed":
      vars.from = labelOf(t, "parcel", p.from ?? "");
      vars.to = labelOf(t, "parcel", p.to ?? "");
      vars.source = labelOf(t, "messages.provider", p.source ?? "");
      if (!p.source) key = "messages.status_changed_nosource";
      break;
    case "stalled":
      vars.reason = labelOf(t, "stall", p.reason ?? "");
      break;
    case "fulfillment_failed":
      vars.status = labelOf(t, "messages.fstatus", p.status ?? "");
      break;
    case "tracking_changed":
      for (const k of ["from_carrier", "from_number", "to_carrier", "to_number"]) vars[k] = p[k] || "—";
      break;
    case "needs_attention_line_nothing_left":
    case "needs_attention_line_short":
      vars.item = p.sku || t("messages.item.line", { id: p.line_item_id ?? "" });
      break;
    case "text_invalid_utf8":
    case "text_control_characters":
    case "text_too_long":
    case "field_not_text":
    case "phone_field_invalid":
    case "email_field_invalid":
      vars.field = fieldName(t, p.field ?? "");
      break;
    case "line_not_object":
    case "line_sku_not_text":
    case "line_item_id_invalid":
    case "line_needs_item":
    case "line_quantity_invalid":
    case "line_quantity_too_large":
      vars.n = itemNumber(p.index);
      break;
    case "retried": {
      const { reason_code, ...rest } = p;
      const reason = messageText(t, reason_code, rest);
      return reason ? t("messages.retried", { reason }) : t("messages.retried_plain");
    }
  }
  if (!has(key)) return "";
  let text = t(key as Key, vars);
  if (p.changed_meanwhile === "true") text += " " + t("messages.changed_meanwhile");
  return text;
}

// eventText says a history or activity line: its message, or — for lines
// written before codes existed, or codes newer than this admin — its kind,
// with the English detail only when the admin is in English.
export function eventText(t: T, locale: string, e: Coded & { kind: string; detail: string }): string {
  const text = messageText(t, e.code, e.params);
  if (text) return text;
  const kind = has(`kind.${e.kind}`) ? kindLabel(t, e.kind) : t("messages.unknown");
  return locale === "en" && e.detail ? `${kind}: ${e.detail}` : kind;
}

// reasonText says why a shipment is in its state ("" when there is no
// reason); the English reason only when the admin is in English.
export function stateReasonText(t: T, locale: string, s: { state_reason?: string; state_code?: string; state_params?: Params | null }): string {
  const text = messageText(t, s.state_code, s.state_params);
  if (text) return text;
  if (!s.state_reason) return "";
  return locale === "en" ? s.state_reason : t("messages.unknown");
}

// localeOf tells which language t speaks, for callers that have t only.
function localeOf(t: T): string {
  return t("messages.row.accepted") === "Accepted" ? "en" : "es";
}

// A row of an import report or of an entry's results.
export interface RowResult {
  status: string;
  error?: string;
  error_code?: string;
  error_params?: Params | null;
  warning?: string;
  warning_code?: string;
  warning_params?: Params | null;
}

// rowResultText says what became of a row: accepted (and why it waits for
// the merchant, if it does), a duplicate, or rejected and why.
export function rowResultText(t: T, r: RowResult, locale = localeOf(t)): string {
  switch (r.status) {
    case "rejected": {
      const reason = messageText(t, r.error_code, r.error_params) || (locale === "en" ? r.error ?? "" : "");
      return reason ? t("messages.row.rejectedBecause", { reason }) : t("messages.row.rejected");
    }
    case "accepted": {
      const reason = messageText(t, r.warning_code, r.warning_params) || (locale === "en" ? r.warning ?? "" : "");
      return reason ? t("messages.row.acceptedWaiting", { reason }) : t("messages.row.accepted");
    }
    case "duplicate":
      return t("messages.row.duplicate");
  }
  return labelOf(t, "messages.row", r.status);
}
