// What the Go admin API sends and receives, defined once. The JSON is
// snake_case; the field names here are exactly the ones the UI reads.

// ---- errors ----

// ApiErrorBody is the JSON of any refused request.
export interface ApiErrorBody {
  message?: string;
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
  // event → locale → text
  templates: Record<string, Record<string, EmailTemplateText>>;
  customer_emails: string; locales: string[]; events: string[];
}

// PreviewRequest is the body of POST /notifications/preview and POST /notifications/test.
export interface PreviewRequest {
  event: string;
  locale: string;
  branding: Branding;
}

// EmailPreview is the answer of POST /notifications/preview.
export interface EmailPreview {
  subject: string;
  html: string;
}

// TestEmailResult is the answer of POST /notifications/test.
export interface TestEmailResult {
  sent_to: string;
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
