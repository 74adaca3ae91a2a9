// Waybill's own UI pieces, built on Polaris React. Pages use these rather
// than Polaris directly where a piece repeats, so moving to Polaris web
// components later touches this file more than the pages.
import { Badge, Banner, BlockStack, Box, Button, Card, EmptyState, InlineStack, SkeletonBodyText, Spinner, Text, TextField, Toast } from "@shopify/polaris";
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { api, type ApiError } from "./api";
import { isEmbedded } from "./bridge";
import { has, labelOf, useI18n, type T } from "./i18n";
import { href, useRoute } from "./router";

export interface Async<D> {
  data?: D;
  error?: string;
  // failure is the refused call behind error (its status and code), when
  // the error came from the API.
  failure?: ApiError;
  loading: boolean;
  reload: () => void;
}

// useApi loads a GET endpoint and reloads when the path changes.
export function useApi<D>(path: string | null): Async<D> {
  const [state, setState] = useState<{ data?: D; error?: string; failure?: ApiError; loading: boolean }>({ loading: !!path });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined, failure: undefined }));
    api<D>(path)
      .then((data) => live && setState({ data, loading: false }))
      .catch((e: Error) => live && setState({ error: e.message, failure: apiError(e), loading: false }));
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

// Loaded renders loading, error and content states the same way everywhere.
export function Loaded<D>({ state, children }: { state: Async<D>; children: (data: D) => ReactNode }) {
  const { t } = useI18n();
  if (state.error) return <ErrorBanner error={state.failure ?? state.error} onRetry={state.reload} />;
  if (state.data === undefined)
    return (
      <Card>
        <BlockStack gap="300">
          <InlineStack gap="200" blockAlign="center">
            <Spinner size="small" accessibilityLabel={t("loading")} />
            <Text as="span" tone="subdued">{t("loading")}</Text>
          </InlineStack>
          <SkeletonBodyText lines={4} />
        </BlockStack>
      </Card>
    );
  return <>{children(state.data)}</>;
}

export function Empty({ heading, children }: { heading: string; children?: ReactNode }) {
  return (
    <Card>
      <EmptyState heading={heading} image="">
        {children}
      </EmptyState>
    </Card>
  );
}

export function Link({ to, children, label, id }: { to: string; children: ReactNode; label?: string; id?: string }) {
  const { navigate } = useRoute();
  return (
    <a
      id={id}
      aria-label={label}
      href={href(to)}
      onClick={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

// Stat is a dashboard number with a link to the list behind it; the link
// says where it goes in words everyone sees (linkLabel, else "<label>: see
// more"), which is also its name for screen readers.
export function Stat({ label, value, to, testId, linkLabel, tone }: {
  label: string; value: number; to: string; testId: string; linkLabel?: string; tone?: "critical" | "caution";
}) {
  const { t } = useI18n();
  return (
    <Card>
      <BlockStack gap="100">
        <Text as="h3" variant="headingSm" tone="subdued">{label}</Text>
        <Text as="p" variant="heading2xl" id={testId} tone={value > 0 ? tone : undefined}>{value}</Text>
        <Box>
          <Link to={to} id={`${testId}-link`} label={linkLabel ?? t("dash.more", { label })}>{linkLabel ?? t("dash.more", { label })}</Link>
        </Box>
      </BlockStack>
    </Card>
  );
}

const stateTone: Record<string, "success" | "critical" | "warning" | "info" | "attention" | undefined> = {
  synced: "success", failed: "critical", needs_attention: "warning", pending: "info", syncing: "info", cancelled: "attention",
};

export function StateBadge({ state }: { state: string }) {
  const { t } = useI18n();
  return <Badge tone={stateTone[state]}>{t(`state.${state}` as Parameters<T>[0])}</Badge>;
}

const parcelTone: Record<string, "success" | "critical" | "warning" | "info" | "attention" | undefined> = {
  delivered: "success", exception: "critical", attempted_delivery: "warning", expired: "warning", out_for_delivery: "info",
  available_for_pickup: "attention", in_transit: "info",
};

// ParcelBadge is a parcel status (in_transit…) in words.
export function ParcelBadge({ status }: { status: string }) {
  const { t } = useI18n();
  if (!status) return <Text as="span" tone="subdued">—</Text>;
  return <Badge tone={parcelTone[status]}>{labelOf(t, "parcel", status)}</Badge>;
}

// StalledBadge marks a parcel with no carrier news for too long, or past
// its estimated delivery.
export function StalledBadge() {
  const { t } = useI18n();
  return <Badge tone="critical" progress="incomplete">{t("ship.stalled")}</Badge>;
}

// CopyField shows a value to paste elsewhere (a URL, a secret) with a
// copy button.
export function CopyField({ label, value, id }: { label: string; value: string; id?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (an insecure page): the field selects on focus
    }
  };
  return (
    <TextField label={label} id={id} value={value} readOnly autoComplete="off" selectTextOnFocus monospaced
      connectedRight={<Button onClick={copy} accessibilityLabel={`${t("src.copy")}: ${label}`}>{copied ? t("src.copied") : t("src.copy")}</Button>} />
  );
}

// date is a time in the admin's language (the page's lang, which the shell
// sets from Shopify's locale), not the browser's: a Spanish admin never
// reads "12/1/2026, 5:29:31 AM".
export function date(s?: string | null): string {
  if (!s) return "—";
  const lang = document.documentElement.lang === "es" ? "es-ES" : "en-GB";
  return new Date(s).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}

// apiError is e when it is the API client's refusal (it has a status).
function apiError(e: unknown): ApiError | undefined {
  return e instanceof Error && typeof (e as Partial<ApiError>).status === "number" ? (e as ApiError) : undefined;
}

// ErrorBanner shows a failed call in the merchant's language: a session
// Shopify no longer accepts says what to do (reload, or open Waybill from
// the admin); anything else gets a sentence, with the server's own words
// only as the detail.
export function ErrorBanner({ error, onRetry }: { error: ApiError | string; onRetry?: () => void }) {
  const { t } = useI18n();
  const failure = typeof error === "string" ? undefined : error;
  if (failure?.status === 401)
    return (
      <Banner tone="critical" title={t("shell.session.title")} action={{ content: t("shell.session.reload"), onAction: () => window.location.reload() }}>
        <p>{t("shell.session.body")}</p>
      </Banner>
    );
  const detail = failure ? failure.detail : (error as string);
  return (
    <Banner tone="critical" title={t("error.title")} action={onRetry && { content: t("retry"), onAction: onRetry }}>
      <BlockStack gap="100">
        <p>{failure?.status === 0 ? t("shell.error.network") : t("shell.error.body")}</p>
        {detail && (
          <p>
            <Text as="span" tone="subdued">{t("shell.error.detail")}</Text> <Text as="span">{detail}</Text>
          </p>
        )}
      </BlockStack>
    </Banner>
  );
}

// errorText is a failed action in one sentence in the merchant's
// language, for a page's own message or a toast.
export function errorText(t: T, e: unknown): string {
  const failure = apiError(e);
  if (failure) {
    if (failure.status === 401 || failure.status === 0) return failure.message;
    return `${t("shell.error.body")} ${t("shell.error.detail")} ${failure.detail || failure.message}`;
  }
  return `${t("shell.error.body")} ${t("shell.error.detail")} ${e instanceof Error ? e.message : String(e)}`;
}

// toast confirms an action briefly: App Bridge's toast inside the Shopify
// admin, a Polaris toast (shown by <ToastHost>, which the app renders once)
// outside it.
export function toast(message: string, opts: { error?: boolean } = {}): void {
  if (isEmbedded() && window.shopify?.toast) {
    window.shopify.toast.show(message, { isError: !!opts.error });
    return;
  }
  window.dispatchEvent(new CustomEvent<ToastMessage>(toastEvent, { detail: { message, error: !!opts.error } }));
}

interface ToastMessage {
  message: string;
  error: boolean;
}

const toastEvent = "waybill:toast";

// ToastHost shows toast() messages outside the Shopify admin; it must be
// inside Polaris' <Frame>.
export function ToastHost() {
  const [shown, setShown] = useState<(ToastMessage & { id: number })[]>([]);
  useEffect(() => {
    let next = 0;
    const onToast = (e: Event) => {
      const m = (e as CustomEvent<ToastMessage>).detail;
      setShown((s) => [...s, { ...m, id: next++ }]);
    };
    window.addEventListener(toastEvent, onToast);
    return () => window.removeEventListener(toastEvent, onToast);
  }, []);
  return (
    <>
      {shown.map((m) => (
        <Toast key={m.id} content={m.message} error={m.error} onDismiss={() => setShown((s) => s.filter((x) => x.id !== m.id))} />
      ))}
    </>
  );
}

// languageName names a language code (en, es…) in that language, as
// language pickers do: "English", "Español".
export function languageName(t: T, code: string): string {
  const key = `shell.lang.${code}`;
  if (has(key)) return t(key);
  try {
    const name = new Intl.DisplayNames([code], { type: "language" }).of(code);
    if (name) return name.charAt(0).toLocaleUpperCase(code) + name.slice(1);
  } catch {
    // not a language code Intl knows
  }
  return code;
}
