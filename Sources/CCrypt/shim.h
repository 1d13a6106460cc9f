// The system's libcrypt (libxcrypt on Debian), for bcrypt password hashes ($2a$, $2b$, $2y$)
// in --web.config.file's basic_auth_users.
#ifndef KALM_CCRYPT_SHIM_H
#define KALM_CCRYPT_SHIM_H
#include <crypt.h>
#endif
