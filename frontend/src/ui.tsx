// Waybill's own UI pieces, built on Polaris React. Pages use these rather
// than Polaris directly where a piece repeats, so moving to Polaris web
// components later touches this file more than the pages.
import { Badge, Banner, BlockStack, Box, Button, Card, EmptyState, InlineStack, SkeletonBodyText, Spinner, Text, TextField } from "@shopify/polaris";
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { api } from "./api";
import { labelOf, useI18n, type T } from "./i18n";
import { href, useRoute } from "./router";

export interface Async<D> {
  data?: D;
  error?: string;
  loading: boolean;
  reload: () => void;
}

// useApi loads a GET endpoint and reloads when the path changes.
export function useApi<D>(path: string | null): Async<D> {
  const [state, setState] = useState<{ data?: D; error?: string; loading: boolean }>({ loading: !!path });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api<D>(path)
      .then((data) => live && setState({ data, loading: false }))
      .catch((e: Error) => live && setState({ error: e.message, loading: false }));
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
  if (state.error)
    return (
      <Banner tone="critical" title={t("error.title")} action={{ content: t("retry"), onAction: state.reload }}>
        <p>{state.error}</p>
      </Banner>
    );
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
// is named for screen readers (linkLabel, else "<label>: see more").
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
          <Link to={to} id={`${testId}-link`} label={linkLabel ?? t("dash.more", { label })}><span aria-hidden="true">→</span></Link>
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

export function date(s?: string | null): string {
  return s ? new Date(s).toLocaleString() : "—";
}
