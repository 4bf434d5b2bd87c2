// The year switcher of Latest Photos and the draw page: every edition from GET /editions, the
// choice kept in the address (?edition=2026) so that a year's archive can be linked to.
import { api } from "/js/api.js";
import { h } from "/js/ui.js";

/** The edition in the address, or null for the current one. */
export function chosenEdition() {
  const year = new URLSearchParams(location.search).get("edition");
  return year && /^[0-9]{4}$/.test(year) ? year : null;
}

/**
 * Fills `select` with the editions (newest first) and shows its form once there is more than
 * one; calls `onChange(edition)` when another year is chosen. Fails quietly: the page still
 * shows the current edition.
 */
export async function yearSwitcher(select, onChange) {
  let items = [];
  try {
    ({ data: { items } } = await api("/editions"));
  } catch {
    return;
  }
  const chosen = chosenEdition() || items.find((e) => e.current)?.edition;
  select.replaceChildren(...items.map((e) => h("option", { value: e.edition, selected: e.edition === chosen },
    e.current ? `${e.edition} (this year)` : e.edition)));
  select.closest("form").hidden = items.length < 2;
  select.addEventListener("change", () => {
    const url = new URL(location.href);
    const current = items.find((e) => e.current)?.edition;
    if (select.value === current) url.searchParams.delete("edition");
    else url.searchParams.set("edition", select.value);
    history.replaceState(null, "", url);
    onChange(select.value === current ? null : select.value);
  });
}
