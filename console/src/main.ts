// Entry point: the login form, then "My things" until logout or disconnect.
import { h, render } from "./dom.js";
import { loginView } from "./login-view.js";
import type { Session } from "./session.js";
import { thingsView } from "./things-view.js";

const app = document.getElementById("app") ?? document.body.appendChild(h("div", { id: "app" }));

function showLogin(note?: string): void {
  render(app, loginView(showThings));
  if (note) {
    const m = document.getElementById("login-message");
    if (m) m.textContent = note;
  }
}

function showThings(session: Session): void {
  const offline = () => showLogin("Disconnected from the server.");
  const logout = () => {
    session.removeEventListener("offline", offline);
    void session.logout().catch(() => {});
    showLogin();
  };
  session.addEventListener("offline", offline);
  render(app, thingsView(session, logout));
}

showLogin();
