"""Account security: the second factor, login sessions, password reset by mail.

None of it touches the key file's keys: the login password and the second factor guard
the account on the server; the journal's keys never leave the devices.
"""

from reflective_client.api import ApiSession, JsonObject


def second_factor_body(answer: str) -> dict[str, str]:
    """A 6-digit answer is a TOTP code; anything else is a recovery code."""
    answer = answer.strip()
    if len(answer) == 6 and answer.isdigit():
        return {"code": answer}
    return {"recovery_code": answer}


class AccountSecurity:
    def __init__(self, api: ApiSession) -> None:
        self.api = api

    def mfa_status(self) -> JsonObject:
        return self.api.call("GET", "/api/users/me/2fa")

    def totp_start(self, password: str) -> JsonObject:
        """A new secret and its otpauth:// URI, shown once; nothing changes until confirmed."""
        return self.api.call("POST", "/api/users/me/2fa/totp", json={"password": password})

    def totp_confirm(self, code: str) -> list[str]:
        """Enable the factor with its first code; returns the ten recovery codes."""
        body = self.api.call("POST", "/api/users/me/2fa/totp/confirm", json={"code": code})
        return [str(code) for code in body["recovery_codes"]]

    def totp_disable(self, password: str, answer: str) -> None:
        body = {"password": password, **second_factor_body(answer)}
        self.api.call("DELETE", "/api/users/me/2fa/totp", json=body)

    def sessions(self) -> list[JsonObject]:
        return list(self.api.call("GET", "/api/users/me/sessions")["sessions"])

    def session_revoke(self, session_id: str) -> None:
        self.api.call("DELETE", f"/api/users/me/sessions/{session_id}")

    def logout_others(self) -> int:
        return int(self.api.call("POST", "/api/auth/logout-all")["revoked_sessions"])

    def password_reset_request(self, email: str) -> str:
        body = {"email": email}
        answer = self.api.call("POST", "/api/auth/password/reset", json=body, authenticated=False)
        return str(answer["detail"])

    def password_reset_confirm(self, token: str, new_password: str) -> None:
        body = {"token": token, "new_password": new_password}
        self.api.call("POST", "/api/auth/password/reset/confirm", json=body, authenticated=False)
