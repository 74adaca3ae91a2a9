// What the Go admin API sends and receives, defined once. The JSON is
// snake_case; the field names here are exactly the ones the UI reads.

// ---- errors ----

// ApiErrorBody is the JSON of any refused request.
export interface ApiErrorBody {
  message?: string;
  // message_code and params say message as a code the admin words
  // (app/message.go), when the backend has one for it.
  message_code?: string;
  params?: Record<string, string> | null;
}

// ---- shipments: GET /shipments, GET/PATCH /shipments/{id} ----

export interface LineItem {
  line_item_id: number;
  sku: string;
  title: string;
  quantity: number;
}

// ParcelStatus is where the parcel is, as its carrier reports it.
export type ParcelStatus =
  | "pending" | "shipped" | "info_received" | "in_transit" | "out_for_delivery" | "available_for_pickup"
  | "attempted_delivery" | "delivered" | "exception" | "expired";

// StatusProvider names who reports parcel statuses (empty: nobody yet).
export type StatusProvider = "shopify" | "17track" | "aftership" | "easypost" | "push";

export interface Shipment {
  id: string; order_id: number; order_name: string; order_ref: string; tracking_number: string; carrier: string; tracking_url: string;
  source: string; state: string; state_reason: string; status: ParcelStatus | string; created_at: string;
  line_items?: LineItem[];
  // who reported status
  status_source?: StatusProvider | "";
  shipped_at?: string | null;
  last_event_at?: string | null;
  // the carrier's ETA; when absent, the merchant's transit window (from–to)
  estimated_delivery_at?: string | null;
  delivery_window_from?: string | null;
  delivery_window_to?: string | null;
  stalled_at?: string | null;
  stalled_reason?: "no_events" | "past_estimate" | "";
  // the parcel's registration with the shop's aggregator
  tracker_state?: "" | "queued" | "registered" | "rejected" | "stopped";
  tracker_detail?: string;
}

// ShipmentFilters is the query string of GET /shipments.
export interface ShipmentFilters {
  q?: string;
  state?: string;
  source?: string;
  carrier?: string;
  from?: string;
  to?: string;
  // parcel status
  status?: string;
  // only stalled shipments (stalled=true)
  stalled?: boolean;
  page?: number;
}

export interface ShipmentList {
  shipments: Shipment[];
  total: number;
  page: number;
  per_page: number;
}

export interface HistoryEvent {
  kind: string;
  detail: string;
  created_at: string;
}

export interface Checkpoint {
  happened_at: string;
  status: string;
  location: string;
  message: string;
}

export interface EmailLogEntry {
  event: string;
  status: string;
  // why it was not sent, as a code (emails.reason.*)
  reason?: string;
  detail: string;
  queued_at: string;
}

// ShipmentDetailResponse is GET /shipments/{id}.
export interface ShipmentDetailResponse {
  shipment: Shipment;
  history: HistoryEvent[];
  checkpoints: Checkpoint[];
  emails: EmailLogEntry[];
}

// ShipmentUpdate is the body of PATCH /shipments/{id}.
export interface ShipmentUpdate {
  tracking_number: string;
  carrier: string;
}

// ---- dashboard: GET /stats ----

export interface StatCounts {
  awaiting_tracking: number; pending: number; synced: number; failed: number; needs_attention: number; emails_sent: number; unsubscribes: number;
  // stalled shipments now, whatever the period
  stalled?: number;
}

export interface ActivityItem {
  shipment_id: string;
  order_name: string;
  kind: string;
  detail: string;
  at: string;
}

export interface Stats {
  last_7_days: StatCounts;
  last_30_days: StatCounts;
  activity: ActivityItem[];
  shop: { name: string; needs_reauth: boolean };
}

// ---- CSV import: POST /imports ----

export interface ImportRow {
  line: number;
  order: string;
  tracking_number: string;
  status: "accepted" | "duplicate" | "rejected";
  shipment_id?: string;
  error?: string;
  warning?: string;
}

export interface ImportReport {
  rows: ImportRow[];
  accepted: number;
  duplicate: number;
  rejected: number;
  ignored_columns?: string[];
  // utf-8, utf-16le, utf-16be or windows-1252 (converted to UTF-8)
  encoding?: string;
}

// ---- customer emails: /notifications/* ----

export interface Branding {
  logo_url: string;
  accent_color: string;
  sender_name: string;
  reply_to: string;
  footer_text: string;
}

export interface EmailTemplateText {
  subject: string;
  intro: string;
}

// NotificationSettings is GET and PUT /notifications/settings.
export interface NotificationSettings {
  branding: Branding; primary_locale: string; disabled_events: Record<string, boolean>;
  // locale → event → text
  templates: Record<string, Record<string, EmailTemplateText>>;
  customer_emails: string; locales: string[]; events: string[];
}

// PreviewRequest is the body of POST /notifications/preview and POST /notifications/test.
export interface PreviewRequest {
  event: string;
  locale: string;
  branding: Branding;
  // a real shipment of this store (empty: sample data)
  shipment_id?: string;
  // the subject and introduction being edited for (event, locale)
  template?: EmailTemplateText;
  // a resend's personal note
  note?: string;
}

// EmailPreview is the answer of POST /notifications/preview.
export interface EmailPreview {
  subject: string;
  html: string;
}

// TestEmailResult is the answer of POST /notifications/test: sent false
// (reason smtp_not_configured) when the server has no SMTP_URL.
export interface TestEmailResult {
  sent: boolean;
  reason?: string;
  to: string;
  subject: string;
}

// ---- supplier API keys: /api-keys ----

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at?: string;
  revoked_at?: string;
}

export interface ApiKeyList {
  api_keys: ApiKey[];
}

// ApiKeyCreate is the body of POST /api-keys.
export interface ApiKeyCreate {
  name: string;
}

// CreatedApiKey is the answer of POST /api-keys: the key is shown only once.
export interface CreatedApiKey {
  key: string;
  endpoint: string;
}

// ---- parcel status sources: /status-sources ----

export interface StatusSource {
  id: string;
  provider: StatusProvider;
  name: string;
  // the key's last characters, never the key
  api_key_hint: string;
  checked_at: string | null;
  // empty when the last test passed (or none ran)
  check_error: string;
  created_at: string;
  webhook_url: string;
}

// ProviderInfo says what the add form asks for each provider.
export interface ProviderInfo {
  name: StatusProvider;
  // Waybill registers each tracking number with the provider
  registers: boolean;
  needs: ("api_key" | "webhook_secret")[];
}

// StatusSourceList is GET /status-sources.
export interface StatusSourceList {
  sources: StatusSource[];
  providers: ProviderInfo[];
}

// StatusSourceCreate is the body of POST /status-sources.
export interface StatusSourceCreate {
  provider: string;
  name: string;
  api_key: string;
  webhook_secret: string;
}

// CreatedStatusSource is the answer of POST /status-sources: the secret
// (push only) is shown this once.
export interface CreatedStatusSource {
  source: StatusSource;
  secret?: string;
  url: string;
}

// SourceTestResult is the answer of POST /status-sources/{id}/test.
export interface SourceTestResult {
  ok: boolean;
  error?: "unauthorized" | "rate_limited" | "unavailable" | string;
  message?: string;
  checked_at: string;
}

// ---- delays and delivery estimates: GET and PUT /tracking-settings ----

// TransitWindow is how long parcels to a country take, in business days
// (carrier empty: any carrier).
export interface TransitWindow {
  country: string;
  carrier: string;
  min_days: number;
  max_days: number;
}

export interface TrackingSettings {
  shopify_tracking: boolean;
  stall_days_domestic: number;
  stall_days_cross_border: number;
  transit_windows: TransitWindow[];
}

// ---- email texts, email log and resend: /notifications, /shipments/{id}/resend ----

// EmailSettings is NotificationSettings as GET /notifications/settings
// sends it, with the placeholders a subject or introduction may use.
export interface EmailSettings extends NotificationSettings {
  placeholders?: string[];
}

// EmailStatus is where a customer email is.
export type EmailStatus = "queued" | "sent" | "failed" | "suppressed" | "skipped";

// EmailReason is why an email was not sent ("" when it was).
export type EmailReason =
  | "" | "skipped_uninstalled" | "skipped_cancelled" | "switched_off" | "no_email" | "suppressed" | "preference_off" | "render_failed"
  | "smtp_not_configured" | "smtp_refused" | "unreachable";

// EmailLogItem is one row of GET /notifications.
export interface EmailLogItem {
  id: string;
  shipment_id: string;
  order_name: string;
  tracking_number: string;
  event: string;
  recipient: string;
  locale: string;
  status: EmailStatus | string;
  reason: EmailReason | string;
  // the reason in English, with the mail server's answer when there is one
  detail: string;
  // a resend's personal note
  note: string;
  queued_at: string;
  sent_at: string | null;
}

// EmailLogPage is GET /notifications?q=&status=&page=.
export interface EmailLogPage {
  notifications: EmailLogItem[];
  total: number;
  page: number;
  per_page: number;
}

// ResendRequest is the body of POST /shipments/{id}/resend.
export interface ResendRequest {
  event: string;
  note: string;
}

// ---- compliance: GET /data-requests?page= ----

// DataRequestLine is an order line (in an order) or a quantity of one (in
// a shipment; id is then the order line's id, 0 when unknown).
export interface DataRequestLine {
  id: number;
  sku: string;
  title: string;
  quantity: number;
}

// DataRequestOrder is an order of the customer as Waybill keeps it.
export interface DataRequestOrder {
  id: number;
  name: string;
  email: string;
  customer_id: number;
  customer_first_name: string;
  customer_locale: string;
  shipping_country: string;
  // the order's phone from Shopify, and the one the customer gave on the
  // tracking page for WhatsApp/SMS updates (E.164; "" when none)
  phone: string;
  notify_phone: string;
  line_items: DataRequestLine[];
  updated_at: string;
}

// DataRequestShipment is a parcel of one of those orders.
export interface DataRequestShipment {
  id: string;
  order_id: number;
  order_name: string;
  tracking_number: string;
  carrier: string;
  tracking_url: string;
  state: string;
  status: string;
  shipped_at: string | null;
  estimated_delivery_at: string | null;
  line_items: DataRequestLine[];
  created_at: string;
}

// DataRequestText is a WhatsApp or SMS message about one of those
// shipments (the number it went to is the order's).
export interface DataRequestText {
  id: string;
  shipment_id: string;
  order_id: number;
  order_name: string;
  tracking_number: string;
  channel: string;
  event: string;
  locale: string;
  status: string;
  queued_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  read_at: string | null;
}

// DataRequest is a customers/data_request Shopify sent, with what Waybill
// holds about the customer (compiled when it arrived).
export interface DataRequest {
  id: string;
  created_at: string;
  customer: { id: number; email: string };
  orders_requested: number[];
  report: { orders: DataRequestOrder[]; shipments: DataRequestShipment[]; texts: DataRequestText[] };
}

export interface DataRequestList {
  data_requests: DataRequest[];
  total: number;
  page: number;
  per_page: number;
}

// ---- CSV import: how a file is understood (POST /imports?dry_run=true) ----

// ImportColumn is one header column and the field read from it ("" = not read).
export interface ImportColumn {
  header: string;
  field: "" | "order" | "order_id" | "tracking_number" | "carrier" | "tracking_url" | "sku" | "quantity";
}

// ImportProblem is a code with its parameters (the admin words it).
export interface ImportProblem {
  code: "missing_column" | "tracking_column_not_recognised" | "duplicate_column" | "row_rejected";
  header?: string;
  field?: string;
  line?: number;
  message?: string;
}

// ImportParcel is one parcel as the import would submit it.
export interface ImportParcel {
  lines: number[];
  order?: string;
  order_id?: number;
  tracking_number: string;
  carrier?: string;
  tracking_url?: string;
  line_items: { sku: string; quantity: number }[];
}

// ImportFormat: waybill, shopify_orders_export, zendrop_orders_export, dsers_csv_orders or generic.
export interface ImportPreview {
  dry_run: true;
  format: string;
  encoding: string;
  columns: ImportColumn[];
  rows: number;
  shipments: number;
  rejected: number;
  sample: ImportParcel[];
  problems: ImportProblem[];
}

// The real import's report carries the same understanding of the columns.
export type ImportReportWithColumns = ImportReport & { format?: string; columns?: ImportColumn[]; problems?: ImportProblem[] };

// ----- Orders waiting for a tracking number (GET /orders/awaiting, GET /carriers/detect) -----

export interface AwaitingLineItem {
  id: number;
  sku: string;
  title: string;
  quantity: number;
  fulfillable_quantity: number;
  // supplier: the name of the supplier API key that last sent a number for this SKU ("" when none).
  supplier: string;
}

export interface AwaitingOrder {
  id: number;
  name: string;
  created_at: string;
  age_days: number;
  shipping_country: string;
  line_items: AwaitingLineItem[];
  // fulfilled: some items are fulfilled already (the number may go onto that fulfillment).
  fulfilled: boolean;
}

export interface AwaitingPage {
  orders: AwaitingOrder[];
  total: number;
  page: number;
  per_page: number;
}

export interface CarrierGuess {
  number: string;
  carrier: string;
  tracking_url: string;
  candidates: string[];
}

// SubmitResult is one row's outcome of POST /shipments (manual entry).
export interface SubmitResult {
  index: number;
  status: "accepted" | "duplicate" | "rejected";
  shipment_id?: string;
  error?: string;
  warning?: string;
  // The reasons as codes and parameters, said in the merchant's language.
  error_code?: string;
  error_params?: Record<string, string> | null;
  warning_code?: string;
  warning_params?: Record<string, string> | null;
}

// Insights (GET /insights?from=&to=&by=): one row per carrier, supplier or
// destination country, for the shipments created in the period.
export type InsightGrouping = "carrier" | "supplier" | "country";

export interface DaysSpread {
  median: number | null;
  p90: number | null;
}

export interface InsightRow {
  key: string;
  // key_is_source: a supplier row for numbers no API key sent; key is the source (api, csv, manual, shopify).
  key_is_source: boolean;
  shipments: number;
  order_to_fulfillment_days: DaysSpread;
  fulfillment_to_delivery_days: DaysSpread;
  delivered: number;
  delivered_on_time_share: number | null;
  exceptions: number;
  stalled: number;
  emails_sent: number;
  tracking_page_visits: number;
}

export interface Insights {
  by: InsightGrouping;
  from: string;
  to: string;
  rows: InsightRow[];
  // live: computed for this request; else served from the snapshot of
  // computed_at (the last 30, 90 or 365 days, refreshed in the background)
  live: boolean;
  computed_at: string | null;
}

// ----- Messages: what the backend says as a code and parameters (app/message.go), rendered by messages.ts -----
// (These declarations add fields to the interfaces above.)

export interface Shipment {
  // why it is in its state, as a code and parameters ("" and {} when none); state_reason is the English sentence
  state_code?: string;
  state_params?: Record<string, string> | null;
}

export interface HistoryEvent {
  // the line as a code and parameters; detail is the English sentence
  code?: string;
  params?: Record<string, string> | null;
}

export interface ActivityItem {
  code?: string;
  params?: Record<string, string> | null;
}

export interface ImportRow {
  // error and warning as codes and parameters
  error_code?: string;
  error_params?: Record<string, string>;
  warning_code?: string;
  warning_params?: Record<string, string>;
}

export interface ImportProblem {
  // row_rejected: its message as a code and parameters
  message_code?: string;
  message_params?: Record<string, string>;
}

// ----- Customer texts: WhatsApp and SMS (/channels, /texts; app/text.go, app/shipping/channels.go) -----

// TextChannel is a way a customer hears on their phone.
export type TextChannel = "whatsapp" | "sms";

// TextProvider is who carries a channel: Meta's WhatsApp Cloud API, Twilio's Messages API.
export type TextProvider = "meta" | "twilio";

// ChannelCheckError is a failed test or check as a code ("" when it worked or none ran).
export type ChannelCheckError = "" | "key_refused" | "request_refused" | "unreachable";

// TemplateStatus is Meta's review of one of Waybill's WhatsApp templates.
export type TemplateStatus = "missing" | "pending" | "approved" | "rejected" | "paused" | "disabled";

// TextTemplate is one of Waybill's WhatsApp templates (an event in a
// language) as the merchant's account has it.
export interface TextTemplate {
  event: string;
  // Meta's language code: es, en
  language: string;
  name: string;
  status: TemplateStatus | string;
  // Meta's rejection reason as Meta words it (INVALID_FORMAT…), when rejected
  reason: string;
}

// ChannelView is a connected account as GET /channels lists it: never its
// secrets; where the provider sends its webhooks; its templates (WhatsApp).
export interface ChannelView {
  id: string;
  channel: TextChannel;
  provider: TextProvider | string;
  // WhatsApp Business Account id, or Twilio Account SID
  account_id: string;
  // WhatsApp phone number id, or Twilio's number (E.164) or Messaging Service SID (MG…)
  sender_id: string;
  // what Meta's webhook subscription check must be given (WhatsApp only)
  verify_token?: string;
  // the token's last characters ("…a1b2")
  token_hint: string;
  // the merchant's own phone (E.164), where tests go
  test_phone: string;
  checked_at: string | null;
  check_error: ChannelCheckError | string;
  created_at: string;
  webhook_url: string;
  templates?: TextTemplate[] | null;
}

// ChannelList is GET /channels.
export interface ChannelList {
  channels: ChannelView[];
}

// ChannelConnect is the body of POST /channels.
export interface ChannelConnect {
  channel: TextChannel;
  account_id: string;
  sender_id: string;
  token: string;
  app_secret: string;
  test_phone: string;
}

// ChannelCreated is the answer of POST /channels (201): the connection as
// the list shows it, with the verify token to paste into Meta.
export interface ChannelCreated {
  channel: ChannelView;
}

// ChannelTestResult is the answer of POST /channels/{id}/test {to}.
export interface ChannelTestResult {
  sent: boolean;
  error?: ChannelCheckError | string;
  // the provider's own words (English)
  detail?: string;
  // the phone written to, masked
  to: string;
}

// TemplateList is the answer of POST /channels/{id}/templates.
export interface TemplateList {
  templates: TextTemplate[];
}

// ContactOptions are what the tracking page's contact button offers ("" hides one).
export interface ContactOptions {
  whatsapp: string;
  email: string;
  phone: string;
}

// TextSettings is GET and PUT /texts/settings: per channel, the events
// switched off (an event not listed is on, except "delayed", off until
// set false); events is the list of text events (GET only).
export interface TextSettings {
  disabled_events: Partial<Record<TextChannel, Record<string, boolean>>>;
  contact: ContactOptions;
  events?: string[];
}

export type TextStatus = "queued" | "sent" | "delivered" | "read" | "failed" | "suppressed" | "skipped";

export type TextReason =
  | "" | "switched_off" | "not_connected" | "no_phone" | "no_consent" | "opted_out" | "preference_off" | "template_not_ready"
  | "recipient_refused" | "provider_refused" | "undelivered" | "unreachable" | "skipped_uninstalled" | "skipped_cancelled";

// CustomerText is one WhatsApp or SMS message to a customer (a shipment's "texts").
export interface CustomerText {
  id: string;
  shipment_id: string;
  channel: TextChannel | string;
  event: string;
  locale: string;
  status: TextStatus | string;
  reason: TextReason | string;
  // what happened in English, with the provider's error code
  detail: string;
  provider_message_id: string;
  // an SMS's length as billed, and its encoding (gsm7, ucs2)
  segments: number;
  encoding: string;
  queued_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  read_at: string | null;
  updated_at: string;
}

// TextLogEntry is one row of GET /texts.
export interface TextLogEntry extends CustomerText {
  order_name: string;
  tracking_number: string;
  // "+34 ••• 678"
  phone_masked: string;
}

// TextLogPage is GET /texts?q=&channel=&status=&page=.
export interface TextLogPage {
  texts: TextLogEntry[];
  total: number;
  page?: number;
  per_page?: number;
}

// TextCounts are a period's texts by channel and status (GET /stats: last 30 days).
export type TextCounts = Partial<Record<TextChannel, Partial<Record<TextStatus, number>>>>;

export interface Stats {
  texts?: TextCounts;
}

export interface ShipmentDetailResponse {
  texts?: CustomerText[];
}
