// Times on the cards: the browser's locale, hours to seconds (what toLocaleTimeString shows),
// with one formatter for all (a value pushed every second formats its time each time).
const TIME = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "numeric", second: "numeric" });

export const fmtTime = (t: number | undefined): string => (t === undefined ? "never" : TIME.format(t));
