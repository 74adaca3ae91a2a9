// The admin's words for the emails area, in English and Spanish (merged
// into the one dictionary by i18n.ts; keys are prefixed by area).
export const en = {} as const satisfies Record<string, string>;

export const es: Record<keyof typeof en, string> = {};
