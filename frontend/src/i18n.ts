// The admin's words in English and Spanish. t() interpolates {name}.
// Components get t (and the locale) from <I18nProvider> via useI18n().
import { createContext, createElement, useContext, useMemo, type ReactNode } from "react";

export type Locale = "en" | "es";

const en = {
  "nav.dashboard": "Dashboard", "nav.shipments": "Shipments", "nav.import": "Import", "nav.notifications": "Notifications", "nav.suppliers": "Suppliers",
  "loading": "Loading…", "error.title": "Something went wrong", "retry": "Try again", "save": "Save", "saved": "Saved",
  "dash.title": "Dashboard", "dash.period7": "Last 7 days", "dash.period30": "Last 30 days",
  "dash.awaiting": "Awaiting tracking", "dash.synced": "In Shopify", "dash.failed": "Failed", "dash.attention": "Need attention",
  "dash.pending": "On their way to Shopify", "dash.emails": "Emails sent", "dash.unsubscribes": "Unsubscribes",
  "dash.activity": "Latest activity", "dash.noActivity": "Nothing yet: tracking numbers from suppliers, CSV files or the admin show up here.",
  "dash.reauth": "Shopify refused Waybill's access: open the app again from your Shopify admin to re-authorise it.",
  "ship.title": "Shipments", "ship.search": "Search order, tracking number or carrier", "ship.state": "State", "ship.source": "Source",
  "ship.carrier": "Carrier", "ship.from": "From", "ship.to": "To", "ship.all": "All", "ship.order": "Order", "ship.number": "Tracking number",
  "ship.status": "Parcel", "ship.created": "Received", "ship.empty": "No shipments match.", "ship.prev": "Previous", "ship.next": "Next",
  "ship.page": "Page {page} of {pages}",
  "detail.title": "Shipment {number}", "detail.history": "History", "detail.checkpoints": "Carrier updates", "detail.emails": "Emails",
  "detail.retry": "Push again", "detail.resend": "Resend email", "detail.edit": "Change tracking", "detail.lines": "Items",
  "detail.allItems": "Everything still unfulfilled", "detail.reason": "Why", "detail.done": "Done",
  "state.pending": "Pending", "state.syncing": "Syncing", "state.synced": "In Shopify", "state.failed": "Failed", "state.needs_attention": "Needs attention", "state.cancelled": "Cancelled in Shopify",
  "source.api": "Supplier API", "source.csv": "CSV", "source.manual": "Admin", "source.shopify": "Shopify",
  "imp.title": "Import tracking numbers", "imp.help": "A CSV with the columns order, tracking_number, carrier, tracking_url, sku, quantity (order and tracking_number are required). Commas or semicolons.",
  "imp.drop": "Drop a CSV here or click to choose", "imp.uploading": "Uploading {percent}%", "imp.processing": "Processing…",
  "imp.summary": "{accepted} accepted, {duplicate} duplicates, {rejected} rejected", "imp.line": "Line", "imp.result": "Result",
  "imp.download": "Download rejected rows", "imp.watching": "Following the pushes to Shopify…", "imp.allDone": "All accepted rows are settled.", "imp.encoding": "The file was in {encoding}: it was read as such and converted to UTF-8.",
  "notif.title": "Customer emails", "notif.who": "Who emails customers about shipments", "notif.waybill": "Waybill (branded, in the customer's language)",
  "notif.shopify": "Shopify (its own shipping confirmation)", "notif.branding": "Branding", "notif.logo": "Logo URL (https)", "notif.accent": "Accent colour",
  "notif.sender": "Sender name", "notif.replyTo": "Reply-to address", "notif.footer": "Footer", "notif.locale": "Store language",
  "notif.events": "Emails to send", "notif.preview": "Preview", "notif.previewLocale": "Preview in", "notif.test": "Send a test to the store's email",
  "notif.testSent": "Test sent to {to}",
  "event.shipped": "Shipped", "event.tracking_updated": "Tracking updated", "event.out_for_delivery": "Out for delivery", "event.delivered": "Delivered",
  "event.delivery_exception": "Delivery problem",
  "sup.title": "Suppliers", "sup.help": "Give each supplier or 3PL its own key: it sends tracking numbers to Waybill's API.",
  "sup.name": "Supplier name", "sup.create": "Create key", "sup.once": "Copy this key now: it is shown only once.", "sup.example": "Example",
  "sup.revoke": "Revoke", "sup.revoked": "Revoked", "sup.lastUsed": "Last used", "sup.never": "never", "sup.empty": "No keys yet.",
  "kind.received": "Received", "kind.pushed": "In Shopify", "kind.tracking_changed": "Tracking changed", "kind.needs_attention": "Needs attention", "kind.cancelled": "Cancelled",
  "kind.failed": "Failed", "kind.retry": "Retried", "kind.status": "Parcel status",
};
type Key = keyof typeof en;

const es: Record<Key, string> = {
  "nav.dashboard": "Resumen", "nav.shipments": "Envíos", "nav.import": "Importar", "nav.notifications": "Notificaciones", "nav.suppliers": "Proveedores",
  "loading": "Cargando…", "error.title": "Algo salió mal", "retry": "Reintentar", "save": "Guardar", "saved": "Guardado",
  "dash.title": "Resumen", "dash.period7": "Últimos 7 días", "dash.period30": "Últimos 30 días",
  "dash.awaiting": "Esperando seguimiento", "dash.synced": "En Shopify", "dash.failed": "Fallidos", "dash.attention": "Requieren atención",
  "dash.pending": "En camino a Shopify", "dash.emails": "Correos enviados", "dash.unsubscribes": "Bajas",
  "dash.activity": "Actividad reciente", "dash.noActivity": "Aún no hay nada: aquí aparecen los números de seguimiento de proveedores, archivos CSV o el panel.",
  "dash.reauth": "Shopify rechazó el acceso de Waybill: abre de nuevo la aplicación desde tu panel de Shopify para autorizarla.",
  "ship.title": "Envíos", "ship.search": "Buscar pedido, número de seguimiento o transportista", "ship.state": "Estado", "ship.source": "Origen",
  "ship.carrier": "Transportista", "ship.from": "Desde", "ship.to": "Hasta", "ship.all": "Todos", "ship.order": "Pedido", "ship.number": "Número de seguimiento",
  "ship.status": "Paquete", "ship.created": "Recibido", "ship.empty": "Ningún envío coincide.", "ship.prev": "Anterior", "ship.next": "Siguiente",
  "ship.page": "Página {page} de {pages}",
  "detail.title": "Envío {number}", "detail.history": "Historial", "detail.checkpoints": "Novedades del transportista", "detail.emails": "Correos",
  "detail.retry": "Enviar de nuevo a Shopify", "detail.resend": "Reenviar correo", "detail.edit": "Cambiar seguimiento", "detail.lines": "Artículos",
  "detail.allItems": "Todo lo pendiente de preparar", "detail.reason": "Motivo", "detail.done": "Hecho",
  "state.pending": "Pendiente", "state.syncing": "Sincronizando", "state.synced": "En Shopify", "state.failed": "Fallido", "state.needs_attention": "Requiere atención", "state.cancelled": "Cancelado en Shopify",
  "source.api": "API de proveedor", "source.csv": "CSV", "source.manual": "Panel", "source.shopify": "Shopify",
  "imp.title": "Importar números de seguimiento", "imp.help": "Un CSV con las columnas order, tracking_number, carrier, tracking_url, sku, quantity (order y tracking_number son obligatorias). Comas o punto y coma.",
  "imp.drop": "Suelta un CSV aquí o haz clic para elegirlo", "imp.uploading": "Subiendo {percent}%", "imp.processing": "Procesando…",
  "imp.summary": "{accepted} aceptadas, {duplicate} duplicadas, {rejected} rechazadas", "imp.line": "Línea", "imp.result": "Resultado",
  "imp.download": "Descargar filas rechazadas", "imp.watching": "Siguiendo el envío a Shopify…", "imp.allDone": "Todas las filas aceptadas están resueltas.", "imp.encoding": "El archivo estaba en {encoding}: se leyó así y se convirtió a UTF-8.",
  "notif.title": "Correos a clientes", "notif.who": "Quién avisa a los clientes de sus envíos", "notif.waybill": "Waybill (con tu marca, en el idioma del cliente)",
  "notif.shopify": "Shopify (su propia confirmación de envío)", "notif.branding": "Marca", "notif.logo": "URL del logo (https)", "notif.accent": "Color de acento",
  "notif.sender": "Nombre del remitente", "notif.replyTo": "Dirección de respuesta", "notif.footer": "Pie", "notif.locale": "Idioma de la tienda",
  "notif.events": "Correos que se envían", "notif.preview": "Vista previa", "notif.previewLocale": "Vista previa en", "notif.test": "Enviar una prueba al correo de la tienda",
  "notif.testSent": "Prueba enviada a {to}",
  "event.shipped": "Enviado", "event.tracking_updated": "Seguimiento actualizado", "event.out_for_delivery": "En reparto", "event.delivered": "Entregado",
  "event.delivery_exception": "Problema con la entrega",
  "sup.title": "Proveedores", "sup.help": "Da a cada proveedor o 3PL su propia clave: con ella envía números de seguimiento a la API de Waybill.",
  "sup.name": "Nombre del proveedor", "sup.create": "Crear clave", "sup.once": "Copia esta clave ahora: solo se muestra una vez.", "sup.example": "Ejemplo",
  "sup.revoke": "Revocar", "sup.revoked": "Revocada", "sup.lastUsed": "Último uso", "sup.never": "nunca", "sup.empty": "Aún no hay claves.",
  "kind.received": "Recibido", "kind.pushed": "En Shopify", "kind.tracking_changed": "Seguimiento cambiado", "kind.needs_attention": "Requiere atención", "kind.cancelled": "Cancelado",
  "kind.failed": "Fallido", "kind.retry": "Reintentado", "kind.status": "Estado del paquete",
};

const dictionaries: Record<Locale, Record<Key, string>> = { en, es };

// pickLocale reads Shopify's `locale` URL parameter (es, es-MX…), then the browser's.
export function pickLocale(search: string, browser: string): Locale {
  const wanted = new URLSearchParams(search).get("locale") || browser || "en";
  return wanted.toLowerCase().startsWith("es") ? "es" : "en";
}

export function translator(locale: Locale) {
  const dict = dictionaries[locale];
  return (key: Key, vars: Record<string, string | number> = {}) =>
    dict[key].replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export type T = ReturnType<typeof translator>;
export const keys = Object.keys(en) as Key[];
export const missingSpanish = () => keys.filter((k) => !(k in es));

interface I18n {
  locale: Locale;
  t: T;
}

const I18nContext = createContext<I18n | null>(null);

// I18nProvider gives every component below it the admin's language.
export function I18nProvider({ locale, children }: { locale: Locale; children?: ReactNode }) {
  const value = useMemo(() => ({ locale, t: translator(locale) }), [locale]);
  return createElement(I18nContext.Provider, { value }, children);
}

// useI18n returns the translator and locale of the nearest I18nProvider.
export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error("useI18n needs an <I18nProvider> above it");
  return i18n;
}

// kindLabel names a history line's kind in the admin's language.
export function kindLabel(t: T, kind: string): string {
  const key = `kind.${kind}`;
  return (keys as string[]).includes(key) ? t(key as Key) : kind;
}
