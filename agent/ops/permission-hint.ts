// What to do when a file of the service cannot be read by the user at the terminal.
export const GROUP_HINT = "run with sudo or add yourself to the thingd group (sudo usermod -aG thingd $USER, then log in again)";
