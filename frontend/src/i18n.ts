// The admin's words in English and Spanish. t() interpolates {name}.
// Components get t (and the locale) from <I18nProvider> via useI18n().
import { createContext, createElement, useContext, useMemo, type ReactNode } from "react";
// Each area keeps its words in its own file (locales/*.ts), merged here.
import * as emails from "./locales/emails";
import * as imports from "./locales/imports";
import * as insights from "./locales/insights";
import * as messages from "./locales/messages";
import * as orders from "./locales/orders";
import * as shell from "./locales/shell";
import * as texts from "./locales/texts";

export type Locale = "en" | "es";

const base = {
  "nav.dashboard": "Dashboard", "nav.orders": "Orders", "nav.emails": "Email log", "nav.insights": "Insights", "nav.dataRequests": "Data requests", "nav.shipments": "Shipments", "nav.import": "Import", "nav.notifications": "Notifications", "nav.suppliers": "Suppliers",
  "nav.channels": "Channels", "nav.messages": "Messages",
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
  "imp.summary": "Accepted: {accepted} · Duplicates: {duplicate} · Rejected: {rejected}", "imp.line": "Line", "imp.result": "Result",
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
  "kind.failed": "Failed", "kind.retry": "Retried", "kind.status": "Parcel status",  "nav.sources": "Status sources",
  "src.title": "Parcel status sources",
  "src.intro": "Where Waybill learns where each parcel is: Shopify's own tracking, a tracking service or your 3PL. Statuses drive the customer emails and the delay alerts.",
  "src.shopify": "Shopify's tracking", "src.shopifyToggle": "Use Shopify's own carrier tracking (on by default)",
  "src.shopifyHelp": "Needs no set-up: Shopify follows the parcels of the carriers it supports and Waybill reads their status. Add a source below for carriers Shopify does not follow, or for more frequent updates.",
  "src.connected": "Connected sources", "src.empty": "No sources connected: statuses come from Shopify's tracking only.",
  "src.provider": "Provider", "src.name": "Name", "src.keyHint": "Key", "src.lastTest": "Last test", "src.never": "Not tested yet", "src.ok": "The key works",
  "src.test": "Test", "src.remove": "Remove", "src.cancel": "Cancel", "src.removed": "Source removed",
  "src.confirmRemove": "Remove “{name}”? Waybill stops receiving its updates; the statuses already received stay.",
  "src.add": "Add a source", "src.addButton": "Add source", "src.apiKey": "API key", "src.webhookSecret": "Webhook secret", "src.required": "Required",
  "src.registers": "Waybill registers each new tracking number with {provider}, which then sends its updates.",
  "src.created": "{name} is connected", "src.once": "Copy this now: it is shown only once.",
  "src.url": "Webhook URL", "src.secret": "Signing secret", "src.copy": "Copy", "src.copied": "Copied", "src.copyUrl": "Copy webhook URL", "src.close": "Done",
  "help.17track": "Paste the API key (access key) from your 17TRACK API account.",
  "help.aftership": "Paste an API key from your AfterShip account and the webhook secret AfterShip shows in its webhook settings.",
  "help.easypost": "Paste your EasyPost API key and a webhook secret: enter the same secret when you add the webhook in EasyPost.",
  "help.push": "For a 3PL or warehouse that sends parcel statuses itself: Waybill gives you a URL and a secret to sign them with.",
  "paste.17track": "In 17TRACK, paste this URL as the webhook URL (Settings → Webhook).",
  "paste.aftership": "In AfterShip, add this URL as a webhook in its webhook settings.",
  "paste.easypost": "In EasyPost, add a webhook with this URL and the same webhook secret.",
  "paste.push": "Give your 3PL this URL and this secret: it sends each parcel status to the URL, signed with the secret.",
  "provider.shopify": "Shopify", "provider.17track": "17TRACK", "provider.aftership": "AfterShip", "provider.easypost": "EasyPost", "provider.push": "3PL push",
  "via.shopify": "via Shopify", "via.17track": "via 17TRACK", "via.aftership": "via AfterShip", "via.easypost": "via EasyPost", "via.push": "via your 3PL",
  "testErr.unauthorized": "{provider} refused the key: check it, then remove this source and add it again with the right key.",
  "testErr.rate_limited": "{provider} is limiting requests right now: try again in a few minutes.",
  "testErr.unavailable": "{provider} did not answer: try again later.",
  "delay.title": "Delays and delivery estimates",
  "delay.help": "A parcel is stalled when its carrier has had no news for this many days, or when it is past its estimated delivery.",
  "delay.domestic": "Days without news, domestic", "delay.crossBorder": "Days without news, cross-border",
  "delay.windows": "Transit windows",
  "delay.windowsHelp": "How long parcels take to each country, in business days (Monday to Friday) from the day they ship; used for the estimate when the carrier gives none. A row with a carrier applies to that carrier only.",
  "delay.country": "Country (ES, MX…)", "delay.carrier": "Carrier (optional)", "delay.min": "Min. days", "delay.max": "Max. days",
  "delay.addRow": "Add a window", "delay.removeRow": "Remove window {n}", "delay.noWindows": "No windows: estimates come from carriers only.",
  "delay.fix": "Fix the marked fields before saving.",
  "val.stallDays": "Whole days, from 1 to 120", "val.country": "A two-letter country code (ES, MX…)", "val.carrier": "One line, at most 100 characters",
  "val.minDays": "Whole days, from 0 to 120", "val.maxDays": "Whole days, from 1 to 120", "val.minOverMax": "The minimum is above the maximum",
  "val.repeat": "This country and carrier are already listed", "val.tooMany": "At most 200 windows",
  "ship.parcelStatus": "Parcel status", "ship.stalledOnly": "Stalled only", "ship.stalled": "Stalled",
  "parcel.pending": "Pending", "parcel.shipped": "Shipped", "parcel.info_received": "Info received", "parcel.in_transit": "In transit",
  "parcel.out_for_delivery": "Out for delivery", "parcel.available_for_pickup": "Ready for pickup", "parcel.attempted_delivery": "Delivery attempted",
  "parcel.delivered": "Delivered", "parcel.exception": "Problem", "parcel.expired": "Tracking expired",
  "detail.parcel": "Parcel", "detail.noSource": "No carrier news yet",
  "detail.eta": "Estimated delivery: {date} (carrier's estimate)", "detail.window": "Expected delivery: {range} (your transit window)",
  "detail.shippedAt": "Shipped", "detail.lastEvent": "Last carrier news", "detail.stalledSince": "Stalled since {date}",
  "stall.no_events": "No carrier news for longer than your delay settings allow.", "stall.past_estimate": "It is past its estimated delivery and not delivered yet.",
  "detail.tracker": "Tracking service",
  "tracker.queued": "Waiting to be registered", "tracker.registered": "Registered: updates arrive on their own",
  "tracker.rejected": "Refused by the tracking service", "tracker.stopped": "No longer followed (delivered or too old)",
  "trackerDetail.key_refused": "the service refused the key (check it on Status sources)",
  "trackerDetail.no_quota": "the account has no quota left for new numbers",
  "trackerDetail.request_refused": "the service refused the request",
  "trackerDetail.number_refused": "the service does not accept this number",
  "trackerDetail.gave_up": "the service could not be reached after several tries",
  "dash.stalled": "Stalled", "dash.stalledLink": "See stalled shipments", "dash.more": "{label}: see more",
  "event.attempted_delivery": "Delivery attempted", "event.ready_for_pickup": "Ready for pickup", "event.delayed": "Running late",
  "notif.optional": "Optional",
  "eventHelp.shipped": "When the tracking number reaches Shopify.", "eventHelp.tracking_updated": "When the tracking number or the carrier changes.",
  "eventHelp.out_for_delivery": "When the carrier has it out for delivery.", "eventHelp.attempted_delivery": "When the carrier tried to deliver it and could not.",
  "eventHelp.ready_for_pickup": "When it waits at a pickup point or post office.", "eventHelp.delivered": "When the carrier marks it delivered.",
  "eventHelp.delivery_exception": "When the carrier reports a problem (address, customs, damage…).",
  "eventHelp.delayed": "Off until you turn it on: when a parcel stalls or passes its estimated delivery, the customer is told it is running late.",
};
const en = { ...base, ...emails.en, ...imports.en, ...insights.en, ...messages.en, ...orders.en, ...shell.en, ...texts.en };

export type Key = keyof typeof en;

const baseEs: Record<keyof typeof base, string> = {
  "nav.orders": "Pedidos", "nav.emails": "Correos enviados", "nav.insights": "Análisis", "nav.dataRequests": "Solicitudes de datos", "nav.dashboard": "Resumen", "nav.shipments": "Envíos", "nav.import": "Importar", "nav.notifications": "Notificaciones", "nav.suppliers": "Proveedores",
  "nav.channels": "Canales", "nav.messages": "Mensajes",
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
  "imp.summary": "Aceptadas: {accepted} · Duplicadas: {duplicate} · Rechazadas: {rejected}", "imp.line": "Línea", "imp.result": "Resultado",
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
  "kind.failed": "Fallido", "kind.retry": "Reintentado", "kind.status": "Estado del paquete",  "nav.sources": "Fuentes de estado",
  "src.title": "Fuentes del estado de los paquetes",
  "src.intro": "De dónde sabe Waybill dónde está cada paquete: el seguimiento de Shopify, un servicio de seguimiento o tu 3PL. Los estados deciden los correos a clientes y los avisos de retraso.",
  "src.shopify": "Seguimiento de Shopify", "src.shopifyToggle": "Usar el seguimiento de transportistas de Shopify (activado por defecto)",
  "src.shopifyHelp": "No necesita configuración: Shopify sigue los paquetes de los transportistas que admite y Waybill lee su estado. Añade una fuente abajo para los transportistas que Shopify no sigue o para recibir novedades más a menudo.",
  "src.connected": "Fuentes conectadas", "src.empty": "No hay fuentes conectadas: los estados llegan solo del seguimiento de Shopify.",
  "src.provider": "Servicio", "src.name": "Nombre", "src.keyHint": "Clave", "src.lastTest": "Última prueba", "src.never": "Aún sin probar", "src.ok": "La clave funciona",
  "src.test": "Probar", "src.remove": "Quitar", "src.cancel": "Cancelar", "src.removed": "Fuente quitada",
  "src.confirmRemove": "¿Quitar «{name}»? Waybill dejará de recibir sus novedades; los estados ya recibidos se quedan.",
  "src.add": "Añadir una fuente", "src.addButton": "Añadir fuente", "src.apiKey": "Clave de API", "src.webhookSecret": "Secreto del webhook", "src.required": "Obligatorio",
  "src.registers": "Waybill registra cada número de seguimiento nuevo en {provider}, que luego envía sus novedades.",
  "src.created": "{name} está conectada", "src.once": "Cópialo ahora: solo se muestra una vez.",
  "src.url": "URL del webhook", "src.secret": "Secreto de firma", "src.copy": "Copiar", "src.copied": "Copiado", "src.copyUrl": "Copiar URL del webhook", "src.close": "Listo",
  "help.17track": "Pega la clave de API (access key) de tu cuenta de la API de 17TRACK.",
  "help.aftership": "Pega una clave de API de tu cuenta de AfterShip y el secreto del webhook que AfterShip muestra en su configuración de webhooks.",
  "help.easypost": "Pega tu clave de API de EasyPost y un secreto para el webhook: usa el mismo secreto al añadir el webhook en EasyPost.",
  "help.push": "Para un 3PL o almacén que envía él mismo los estados de los paquetes: Waybill te da una URL y un secreto para firmarlos.",
  "paste.17track": "En 17TRACK, pega esta URL como URL del webhook (Settings → Webhook).",
  "paste.aftership": "En AfterShip, añade esta URL como webhook en su configuración de webhooks.",
  "paste.easypost": "En EasyPost, añade un webhook con esta URL y el mismo secreto.",
  "paste.push": "Da a tu 3PL esta URL y este secreto: envía cada estado del paquete a la URL, firmado con el secreto.",
  "provider.shopify": "Shopify", "provider.17track": "17TRACK", "provider.aftership": "AfterShip", "provider.easypost": "EasyPost", "provider.push": "Envío directo del 3PL",
  "via.shopify": "vía Shopify", "via.17track": "vía 17TRACK", "via.aftership": "vía AfterShip", "via.easypost": "vía EasyPost", "via.push": "vía tu 3PL",
  "testErr.unauthorized": "{provider} rechazó la clave: revísala, quita esta fuente y vuelve a añadirla con la clave correcta.",
  "testErr.rate_limited": "{provider} está limitando las peticiones ahora mismo: vuelve a probar en unos minutos.",
  "testErr.unavailable": "{provider} no respondió: vuelve a probar más tarde.",
  "delay.title": "Retrasos y entregas estimadas",
  "delay.help": "Un paquete está estancado cuando su transportista lleva estos días sin novedades o cuando ya pasó su entrega estimada.",
  "delay.domestic": "Días sin novedades, nacional", "delay.crossBorder": "Días sin novedades, internacional",
  "delay.windows": "Plazos de tránsito",
  "delay.windowsHelp": "Cuánto tardan los paquetes a cada país, en días hábiles (de lunes a viernes) desde el envío; sirven para estimar la entrega cuando el transportista no da fecha. Una fila con transportista se aplica solo a ese transportista.",
  "delay.country": "País (ES, MX…)", "delay.carrier": "Transportista (opcional)", "delay.min": "Días mín.", "delay.max": "Días máx.",
  "delay.addRow": "Añadir un plazo", "delay.removeRow": "Quitar el plazo {n}", "delay.noWindows": "Sin plazos: las estimaciones llegan solo de los transportistas.",
  "delay.fix": "Corrige los campos marcados antes de guardar.",
  "val.stallDays": "Días enteros, de 1 a 120", "val.country": "Un código de país de dos letras (ES, MX…)", "val.carrier": "Una línea, de 100 caracteres como máximo",
  "val.minDays": "Días enteros, de 0 a 120", "val.maxDays": "Días enteros, de 1 a 120", "val.minOverMax": "El mínimo es mayor que el máximo",
  "val.repeat": "Este país con este transportista ya está en la lista", "val.tooMany": "Como máximo 200 plazos",
  "ship.parcelStatus": "Estado del paquete", "ship.stalledOnly": "Solo estancados", "ship.stalled": "Estancado",
  "parcel.pending": "Pendiente", "parcel.shipped": "Enviado", "parcel.info_received": "Datos recibidos", "parcel.in_transit": "En tránsito",
  "parcel.out_for_delivery": "En reparto", "parcel.available_for_pickup": "Listo para recoger", "parcel.attempted_delivery": "Intento de entrega",
  "parcel.delivered": "Entregado", "parcel.exception": "Incidencia", "parcel.expired": "Seguimiento caducado",
  "detail.parcel": "Paquete", "detail.noSource": "Aún sin novedades del transportista",
  "detail.eta": "Entrega estimada: {date} (según el transportista)", "detail.window": "Entrega prevista: {range} (según tu plazo de tránsito)",
  "detail.shippedAt": "Enviado", "detail.lastEvent": "Última novedad del transportista", "detail.stalledSince": "Estancado desde {date}",
  "stall.no_events": "El transportista lleva más días sin novedades de los que permite tu ajuste de retrasos.", "stall.past_estimate": "Ya pasó su entrega estimada y aún no se ha entregado.",
  "detail.tracker": "Servicio de seguimiento",
  "tracker.queued": "Pendiente de registrar", "tracker.registered": "Registrado: las novedades llegan solas",
  "tracker.rejected": "Rechazado por el servicio de seguimiento", "tracker.stopped": "Ya no se sigue (entregado o demasiado antiguo)",
  "trackerDetail.key_refused": "el servicio rechazó la clave (revísala en Fuentes de estado)",
  "trackerDetail.no_quota": "la cuenta no tiene cupo para números nuevos",
  "trackerDetail.request_refused": "el servicio rechazó la petición",
  "trackerDetail.number_refused": "el servicio no acepta este número",
  "trackerDetail.gave_up": "no se pudo contactar con el servicio tras varios intentos",
  "dash.stalled": "Estancados", "dash.stalledLink": "Ver envíos estancados", "dash.more": "{label}: ver más",
  "event.attempted_delivery": "Intento de entrega", "event.ready_for_pickup": "Listo para recoger", "event.delayed": "Con retraso",
  "notif.optional": "Opcional",
  "eventHelp.shipped": "Cuando el número de seguimiento llega a Shopify.", "eventHelp.tracking_updated": "Cuando cambian el número de seguimiento o el transportista.",
  "eventHelp.out_for_delivery": "Cuando el transportista lo lleva en reparto.", "eventHelp.attempted_delivery": "Cuando el transportista intentó entregarlo y no pudo.",
  "eventHelp.ready_for_pickup": "Cuando espera en un punto de recogida o en una oficina de correos.", "eventHelp.delivered": "Cuando el transportista lo marca como entregado.",
  "eventHelp.delivery_exception": "Cuando el transportista avisa de un problema (dirección, aduana, daños…).",
  "eventHelp.delayed": "Desactivado hasta que lo actives: cuando un paquete se estanca o pasa su entrega estimada, se avisa al cliente de que va con retraso.",
};

const es: Record<Key, string> = { ...baseEs, ...emails.es, ...imports.es, ...insights.es, ...messages.es, ...orders.es, ...shell.es, ...texts.es };

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
  const value = useMemo(() => {
    // The page's language is the admin's (dates, screen readers), set before
    // anything below renders a date.
    if (typeof document !== "undefined") document.documentElement.lang = locale;
    return { locale, t: translator(locale) };
  }, [locale]);
  return createElement(I18nContext.Provider, { value }, children);
}

// useI18n returns the translator and locale of the nearest I18nProvider.
export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error("useI18n needs an <I18nProvider> above it");
  return i18n;
}

// has says whether key is one of the admin's words.
export const has = (key: string): key is Key => (keys as string[]).includes(key);

// labelOf names a value (a parcel status, an event…) under a key prefix in
// the admin's language, and leaves a value it has no word for as it is.
export function labelOf(t: T, prefix: string, value: string, vars: Record<string, string | number> = {}): string {
  const key = `${prefix}.${value}`;
  return has(key) ? t(key, vars) : value;
}

// kindLabel names a history line's kind in the admin's language.
export function kindLabel(t: T, kind: string): string {
  return labelOf(t, "kind", kind);
}
