export const USERNAME_PATTERN = /^[a-z0-9_.-]+$/;
export const USERNAME_MESSAGE = 'username may only contain a-z, 0-9, "_", "." and "-"';
