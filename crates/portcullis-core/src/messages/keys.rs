//! Flask-Security's messages: every `SECURITY_MSG_*` key with its default
//! English text and category, taken from Flask-Security 5.9.2's
//! `_default_messages` (generated; do not edit by hand).

/// A Flask-Security message key (`SECURITY_MSG_<KEY>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MessageKey {
    /// Input not appropriate for requested API
    ApiError,
    /// This field is required. (WTForms' `InputRequired`, not a
    /// `SECURITY_MSG_*` key: Flask-Security's code fields answer with it.)
    FieldRequired,
    /// Not a valid choice. (WTForms' `RadioField`, not a `SECURITY_MSG_*` key.)
    NotAValidChoice,
    /// `%(message)s`: what an application's validator said about one of its
    /// own registration fields (not a `SECURITY_MSG_*` key).
    AppFieldError,
    /// Authentication failed - identity or password/passcode invalid
    GenericAuthnFailed,
    /// If that email address is in our system, you will receive an email describing how to reset your password.
    GenericRecovery,
    /// If that identity is in our system, you were sent a code.
    GenericUsSignin,
    /// You do not have permission to view this resource.
    Unauthorized,
    /// You must sign in to view this resource.
    Unauthenticated,
    /// You must reauthenticate to access this endpoint
    ReauthenticationRequired,
    /// Thank you. To confirm your email address %(email)s, please click on the link in the email we have just sent to you.
    ConfirmRegistration,
    /// Thank you. Your email has been confirmed.
    EmailConfirmed,
    /// Your email has already been confirmed.
    AlreadyConfirmed,
    /// Invalid confirmation token.
    InvalidConfirmationToken,
    /// %(email)s is already associated with an account.
    EmailAlreadyAssociated,
    /// Identity attribute '%(attr)s' with value '%(value)s' is already associated with an account.
    IdentityAlreadyAssociated,
    /// Identity %(id)s not registered
    IdentityNotRegistered,
    /// An error occurred while communicating with the OAuth provider: (%(exerror)s - %(exdesc)s). Please try again.
    OauthHandshakeError,
    /// Password does not match
    PasswordMismatch,
    /// Passwords do not match
    RetypePasswordMismatch,
    /// Redirections outside the domain are forbidden
    InvalidRedirect,
    /// Recovery code invalid
    InvalidRecoveryCode,
    /// No recovery codes generated yet
    NoRecoveryCodesSetup,
    /// Instructions to reset your password have been sent to %(email)s.
    PasswordResetRequest,
    /// You did not reset your password within %(within)s.
    PasswordResetExpired,
    /// Invalid reset password token.
    InvalidResetPasswordToken,
    /// Email requires confirmation.
    ConfirmationRequired,
    /// Confirmation instructions have been sent to %(email)s.
    ConfirmationRequest,
    /// You did not confirm your email within %(within)s.
    ConfirmationExpired,
    /// You did not login within %(within)s. New instructions to login have been sent to %(email)s.
    LoginExpired,
    /// Instructions to login have been sent to %(email)s.
    LoginEmailSent,
    /// Invalid login token.
    InvalidLoginToken,
    /// Account is disabled.
    DisabledAccount,
    /// Email not provided
    EmailNotProvided,
    /// Invalid email address
    InvalidEmailAddress,
    /// Invalid code
    InvalidCode,
    /// Value entered is not valid for the field
    InvalidInput,
    /// Value entered must be less than %(length) characters
    InvalidInputLength,
    /// Password not provided
    PasswordNotProvided,
    /// Password must be at least %(length)s characters
    PasswordInvalidLength,
    /// Password not complex enough
    PasswordTooSimple,
    /// Password on breached list
    PasswordBreached,
    /// Failed to contact breached passwords site
    PasswordBreachedSiteError,
    /// Phone number not valid e.g. missing country code
    PhoneInvalid,
    /// Specified user does not exist
    UserDoesNotExist,
    /// Invalid password
    InvalidPassword,
    /// Password or code submitted is not valid
    InvalidPasswordCode,
    /// You have successfully logged in.
    PasswordlessLoginSuccessful,
    /// Forgot password?
    ForgotPassword,
    /// You successfully reset your password and you have been logged in automatically.
    PasswordReset,
    /// You successfully reset your password. Please authenticate using your new password.
    PasswordResetNoLogin,
    /// Your new password must be different than your previous password.
    PasswordIsTheSame,
    /// You successfully changed your password.
    PasswordChange,
    /// Please log in to access this page.
    Login,
    /// Please reauthenticate to access this page.
    Refresh,
    /// Refresh token is invalid (%(reason)s)
    RefreshTokenInvalid,
    /// Reauthentication successful
    ReauthenticationSuccessful,
    /// You can only access this endpoint when not logged in.
    AnonymousUserRequired,
    /// Code has been sent.
    CodeHasBeenSent,
    /// Failed to send code. Please try again later
    FailedToSendCode,
    /// Invalid code
    TwoFactorInvalidToken,
    /// Your code has been confirmed
    TwoFactorLoginSuccessful,
    /// You successfully changed your two-factor method.
    TwoFactorChangeMethodSuccessful,
    /// You currently do not have permissions to access this page
    TwoFactorPermissionDenied,
    /// Marked method is not valid
    TwoFactorMethodNotAvailable,
    /// You successfully disabled two-factor authorization.
    TwoFactorDisabled,
    /// Setup must be completed within %(within)s. Please start over.
    TwoFactorSetupExpired,
    /// Currently active sign in options: %(method_list)s.
    UsCurrentMethods,
    /// Requested method is not valid
    UsMethodNotAvailable,
    /// Setup must be completed within %(within)s. Please start over.
    UsSetupExpired,
    /// Unified sign in setup successful
    UsSetupSuccessful,
    /// You must specify a valid identity to sign in
    UsSpecifyIdentity,
    /// Use this code to sign in: %(code)s
    UseCode,
    /// You successfully changed your username
    UsernameChange,
    /// Username must be at least %(min)d characters and less than %(max)d characters
    UsernameInvalidLength,
    /// Username can contain only letters and numbers
    UsernameDisallowedCharacters,
    /// Username not provided
    UsernameNotProvided,
    /// %(username)s is already associated with an account.
    UsernameAlreadyAssociated,
    /// Passkey operations must be completed within %(within)s. Please start over.
    WebauthnExpired,
    /// Nickname for new passkey is required.
    WebauthnNameRequired,
    /// %(name)s is already associated with a passkey.
    WebauthnNameInuse,
    /// %(name)s not registered with current user.
    WebauthnNameNotFound,
    /// Passkey nicknames can contain only letters, numbers, and limited punctuation.
    WebauthnNameDisallowedCharacters,
    /// Successfully deleted the passkey with name: %(name)s
    WebauthnCredentialDeleted,
    /// Successfully added the passkey with name: %(name)s
    WebauthnRegisterSuccessful,
    /// Passkey already registered.
    WebauthnCredentialIdInuse,
    /// Unregistered passkey.
    WebauthnUnknownCredentialId,
    /// Passkey doesn't belong to any user.
    WebauthnOrphanCredentialId,
    /// Could not verify passkey: %(cause)s.
    WebauthnNoVerify,
    /// Passkey not registered for this use (first or secondary)
    WebauthnCredentialWrongUsage,
    /// Credential user handle didn't match
    WebauthnMismatchUserHandle,
    /// Confirmation must be completed within %(within)s. Please start over.
    ChangeEmailExpired,
    /// Change of email address confirmed
    ChangeEmailConfirmed,
    /// Instructions to confirm your new email address have been sent to %(email)s.
    ChangeEmailSent,
    /// If registered, your username will be sent to your email.
    UsernameRecoveryRequest,
    // ---- Portcullis' own (attempt limits) ----
    /// Too many attempts. Please try again in %(within)s.
    TooManyAttempts,
    /// This account is locked after too many failed sign-in attempts. Try again in %(within)s, or follow the link we emailed you.
    AccountLocked,
    /// Your account is unlocked. You can sign in again.
    AccountUnlocked,
    /// Invalid or expired unlock link.
    InvalidUnlockToken,
    /// Too many wrong codes. Please sign in again.
    TooManyCodeAttempts,
    /// The server is busy. Please try again in a moment.
    ServerBusy,
}

impl MessageKey {
    /// Every key, in Flask-Security's order.
    pub const ALL: [MessageKey; 98] = [
        MessageKey::ApiError,
        MessageKey::GenericAuthnFailed,
        MessageKey::GenericRecovery,
        MessageKey::GenericUsSignin,
        MessageKey::Unauthorized,
        MessageKey::Unauthenticated,
        MessageKey::ReauthenticationRequired,
        MessageKey::ConfirmRegistration,
        MessageKey::EmailConfirmed,
        MessageKey::AlreadyConfirmed,
        MessageKey::InvalidConfirmationToken,
        MessageKey::EmailAlreadyAssociated,
        MessageKey::IdentityAlreadyAssociated,
        MessageKey::IdentityNotRegistered,
        MessageKey::OauthHandshakeError,
        MessageKey::PasswordMismatch,
        MessageKey::RetypePasswordMismatch,
        MessageKey::InvalidRedirect,
        MessageKey::InvalidRecoveryCode,
        MessageKey::NoRecoveryCodesSetup,
        MessageKey::PasswordResetRequest,
        MessageKey::PasswordResetExpired,
        MessageKey::InvalidResetPasswordToken,
        MessageKey::ConfirmationRequired,
        MessageKey::ConfirmationRequest,
        MessageKey::ConfirmationExpired,
        MessageKey::LoginExpired,
        MessageKey::LoginEmailSent,
        MessageKey::InvalidLoginToken,
        MessageKey::DisabledAccount,
        MessageKey::EmailNotProvided,
        MessageKey::InvalidEmailAddress,
        MessageKey::InvalidCode,
        MessageKey::InvalidInput,
        MessageKey::InvalidInputLength,
        MessageKey::PasswordNotProvided,
        MessageKey::PasswordInvalidLength,
        MessageKey::PasswordTooSimple,
        MessageKey::PasswordBreached,
        MessageKey::PasswordBreachedSiteError,
        MessageKey::PhoneInvalid,
        MessageKey::UserDoesNotExist,
        MessageKey::InvalidPassword,
        MessageKey::InvalidPasswordCode,
        MessageKey::PasswordlessLoginSuccessful,
        MessageKey::ForgotPassword,
        MessageKey::PasswordReset,
        MessageKey::PasswordResetNoLogin,
        MessageKey::PasswordIsTheSame,
        MessageKey::PasswordChange,
        MessageKey::Login,
        MessageKey::Refresh,
        MessageKey::RefreshTokenInvalid,
        MessageKey::ReauthenticationSuccessful,
        MessageKey::AnonymousUserRequired,
        MessageKey::CodeHasBeenSent,
        MessageKey::FailedToSendCode,
        MessageKey::TwoFactorInvalidToken,
        MessageKey::TwoFactorLoginSuccessful,
        MessageKey::TwoFactorChangeMethodSuccessful,
        MessageKey::TwoFactorPermissionDenied,
        MessageKey::TwoFactorMethodNotAvailable,
        MessageKey::TwoFactorDisabled,
        MessageKey::TwoFactorSetupExpired,
        MessageKey::UsCurrentMethods,
        MessageKey::UsMethodNotAvailable,
        MessageKey::UsSetupExpired,
        MessageKey::UsSetupSuccessful,
        MessageKey::UsSpecifyIdentity,
        MessageKey::UseCode,
        MessageKey::UsernameChange,
        MessageKey::UsernameInvalidLength,
        MessageKey::UsernameDisallowedCharacters,
        MessageKey::UsernameNotProvided,
        MessageKey::UsernameAlreadyAssociated,
        MessageKey::WebauthnExpired,
        MessageKey::WebauthnNameRequired,
        MessageKey::WebauthnNameInuse,
        MessageKey::WebauthnNameNotFound,
        MessageKey::WebauthnNameDisallowedCharacters,
        MessageKey::WebauthnCredentialDeleted,
        MessageKey::WebauthnRegisterSuccessful,
        MessageKey::WebauthnCredentialIdInuse,
        MessageKey::WebauthnUnknownCredentialId,
        MessageKey::WebauthnOrphanCredentialId,
        MessageKey::WebauthnNoVerify,
        MessageKey::WebauthnCredentialWrongUsage,
        MessageKey::WebauthnMismatchUserHandle,
        MessageKey::ChangeEmailExpired,
        MessageKey::ChangeEmailConfirmed,
        MessageKey::ChangeEmailSent,
        MessageKey::UsernameRecoveryRequest,
        MessageKey::TooManyAttempts,
        MessageKey::AccountLocked,
        MessageKey::AccountUnlocked,
        MessageKey::InvalidUnlockToken,
        MessageKey::TooManyCodeAttempts,
        MessageKey::ServerBusy,
    ];

    /// The key as Flask-Security spells it (`SECURITY_MSG_` omitted).
    pub fn name(self) -> &'static str {
        match self {
            MessageKey::ApiError => "API_ERROR",
            MessageKey::FieldRequired => "WTF_FIELD_REQUIRED",
            MessageKey::NotAValidChoice => "WTF_NOT_A_VALID_CHOICE",
            MessageKey::AppFieldError => "APP_FIELD_ERROR",
            MessageKey::GenericAuthnFailed => "GENERIC_AUTHN_FAILED",
            MessageKey::GenericRecovery => "GENERIC_RECOVERY",
            MessageKey::GenericUsSignin => "GENERIC_US_SIGNIN",
            MessageKey::Unauthorized => "UNAUTHORIZED",
            MessageKey::Unauthenticated => "UNAUTHENTICATED",
            MessageKey::ReauthenticationRequired => "REAUTHENTICATION_REQUIRED",
            MessageKey::ConfirmRegistration => "CONFIRM_REGISTRATION",
            MessageKey::EmailConfirmed => "EMAIL_CONFIRMED",
            MessageKey::AlreadyConfirmed => "ALREADY_CONFIRMED",
            MessageKey::InvalidConfirmationToken => "INVALID_CONFIRMATION_TOKEN",
            MessageKey::EmailAlreadyAssociated => "EMAIL_ALREADY_ASSOCIATED",
            MessageKey::IdentityAlreadyAssociated => "IDENTITY_ALREADY_ASSOCIATED",
            MessageKey::IdentityNotRegistered => "IDENTITY_NOT_REGISTERED",
            MessageKey::OauthHandshakeError => "OAUTH_HANDSHAKE_ERROR",
            MessageKey::PasswordMismatch => "PASSWORD_MISMATCH",
            MessageKey::RetypePasswordMismatch => "RETYPE_PASSWORD_MISMATCH",
            MessageKey::InvalidRedirect => "INVALID_REDIRECT",
            MessageKey::InvalidRecoveryCode => "INVALID_RECOVERY_CODE",
            MessageKey::NoRecoveryCodesSetup => "NO_RECOVERY_CODES_SETUP",
            MessageKey::PasswordResetRequest => "PASSWORD_RESET_REQUEST",
            MessageKey::PasswordResetExpired => "PASSWORD_RESET_EXPIRED",
            MessageKey::InvalidResetPasswordToken => "INVALID_RESET_PASSWORD_TOKEN",
            MessageKey::ConfirmationRequired => "CONFIRMATION_REQUIRED",
            MessageKey::ConfirmationRequest => "CONFIRMATION_REQUEST",
            MessageKey::ConfirmationExpired => "CONFIRMATION_EXPIRED",
            MessageKey::LoginExpired => "LOGIN_EXPIRED",
            MessageKey::LoginEmailSent => "LOGIN_EMAIL_SENT",
            MessageKey::InvalidLoginToken => "INVALID_LOGIN_TOKEN",
            MessageKey::DisabledAccount => "DISABLED_ACCOUNT",
            MessageKey::EmailNotProvided => "EMAIL_NOT_PROVIDED",
            MessageKey::InvalidEmailAddress => "INVALID_EMAIL_ADDRESS",
            MessageKey::InvalidCode => "INVALID_CODE",
            MessageKey::InvalidInput => "INVALID_INPUT",
            MessageKey::InvalidInputLength => "INVALID_INPUT_LENGTH",
            MessageKey::PasswordNotProvided => "PASSWORD_NOT_PROVIDED",
            MessageKey::PasswordInvalidLength => "PASSWORD_INVALID_LENGTH",
            MessageKey::PasswordTooSimple => "PASSWORD_TOO_SIMPLE",
            MessageKey::PasswordBreached => "PASSWORD_BREACHED",
            MessageKey::PasswordBreachedSiteError => "PASSWORD_BREACHED_SITE_ERROR",
            MessageKey::PhoneInvalid => "PHONE_INVALID",
            MessageKey::UserDoesNotExist => "USER_DOES_NOT_EXIST",
            MessageKey::InvalidPassword => "INVALID_PASSWORD",
            MessageKey::InvalidPasswordCode => "INVALID_PASSWORD_CODE",
            MessageKey::PasswordlessLoginSuccessful => "PASSWORDLESS_LOGIN_SUCCESSFUL",
            MessageKey::ForgotPassword => "FORGOT_PASSWORD",
            MessageKey::PasswordReset => "PASSWORD_RESET",
            MessageKey::PasswordResetNoLogin => "PASSWORD_RESET_NO_LOGIN",
            MessageKey::PasswordIsTheSame => "PASSWORD_IS_THE_SAME",
            MessageKey::PasswordChange => "PASSWORD_CHANGE",
            MessageKey::Login => "LOGIN",
            MessageKey::Refresh => "REFRESH",
            MessageKey::RefreshTokenInvalid => "REFRESH_TOKEN_INVALID",
            MessageKey::ReauthenticationSuccessful => "REAUTHENTICATION_SUCCESSFUL",
            MessageKey::AnonymousUserRequired => "ANONYMOUS_USER_REQUIRED",
            MessageKey::CodeHasBeenSent => "CODE_HAS_BEEN_SENT",
            MessageKey::FailedToSendCode => "FAILED_TO_SEND_CODE",
            MessageKey::TwoFactorInvalidToken => "TWO_FACTOR_INVALID_TOKEN",
            MessageKey::TwoFactorLoginSuccessful => "TWO_FACTOR_LOGIN_SUCCESSFUL",
            MessageKey::TwoFactorChangeMethodSuccessful => "TWO_FACTOR_CHANGE_METHOD_SUCCESSFUL",
            MessageKey::TwoFactorPermissionDenied => "TWO_FACTOR_PERMISSION_DENIED",
            MessageKey::TwoFactorMethodNotAvailable => "TWO_FACTOR_METHOD_NOT_AVAILABLE",
            MessageKey::TwoFactorDisabled => "TWO_FACTOR_DISABLED",
            MessageKey::TwoFactorSetupExpired => "TWO_FACTOR_SETUP_EXPIRED",
            MessageKey::UsCurrentMethods => "US_CURRENT_METHODS",
            MessageKey::UsMethodNotAvailable => "US_METHOD_NOT_AVAILABLE",
            MessageKey::UsSetupExpired => "US_SETUP_EXPIRED",
            MessageKey::UsSetupSuccessful => "US_SETUP_SUCCESSFUL",
            MessageKey::UsSpecifyIdentity => "US_SPECIFY_IDENTITY",
            MessageKey::UseCode => "USE_CODE",
            MessageKey::UsernameChange => "USERNAME_CHANGE",
            MessageKey::UsernameInvalidLength => "USERNAME_INVALID_LENGTH",
            MessageKey::UsernameDisallowedCharacters => "USERNAME_DISALLOWED_CHARACTERS",
            MessageKey::UsernameNotProvided => "USERNAME_NOT_PROVIDED",
            MessageKey::UsernameAlreadyAssociated => "USERNAME_ALREADY_ASSOCIATED",
            MessageKey::WebauthnExpired => "WEBAUTHN_EXPIRED",
            MessageKey::WebauthnNameRequired => "WEBAUTHN_NAME_REQUIRED",
            MessageKey::WebauthnNameInuse => "WEBAUTHN_NAME_INUSE",
            MessageKey::WebauthnNameNotFound => "WEBAUTHN_NAME_NOT_FOUND",
            MessageKey::WebauthnNameDisallowedCharacters => "WEBAUTHN_NAME_DISALLOWED_CHARACTERS",
            MessageKey::WebauthnCredentialDeleted => "WEBAUTHN_CREDENTIAL_DELETED",
            MessageKey::WebauthnRegisterSuccessful => "WEBAUTHN_REGISTER_SUCCESSFUL",
            MessageKey::WebauthnCredentialIdInuse => "WEBAUTHN_CREDENTIAL_ID_INUSE",
            MessageKey::WebauthnUnknownCredentialId => "WEBAUTHN_UNKNOWN_CREDENTIAL_ID",
            MessageKey::WebauthnOrphanCredentialId => "WEBAUTHN_ORPHAN_CREDENTIAL_ID",
            MessageKey::WebauthnNoVerify => "WEBAUTHN_NO_VERIFY",
            MessageKey::WebauthnCredentialWrongUsage => "WEBAUTHN_CREDENTIAL_WRONG_USAGE",
            MessageKey::WebauthnMismatchUserHandle => "WEBAUTHN_MISMATCH_USER_HANDLE",
            MessageKey::ChangeEmailExpired => "CHANGE_EMAIL_EXPIRED",
            MessageKey::ChangeEmailConfirmed => "CHANGE_EMAIL_CONFIRMED",
            MessageKey::ChangeEmailSent => "CHANGE_EMAIL_SENT",
            MessageKey::UsernameRecoveryRequest => "USERNAME_RECOVERY_REQUEST",
            MessageKey::TooManyAttempts => "TOO_MANY_ATTEMPTS",
            MessageKey::AccountLocked => "ACCOUNT_LOCKED",
            MessageKey::AccountUnlocked => "ACCOUNT_UNLOCKED",
            MessageKey::InvalidUnlockToken => "INVALID_UNLOCK_TOKEN",
            MessageKey::TooManyCodeAttempts => "TOO_MANY_CODE_ATTEMPTS",
            MessageKey::ServerBusy => "SERVER_BUSY",
        }
    }

    /// Flask-Security's default English text, with `%(name)s` placeholders.
    pub fn default_text(self) -> &'static str {
        match self {
            MessageKey::ApiError => "Input not appropriate for requested API",
            MessageKey::FieldRequired => "This field is required.",
            MessageKey::NotAValidChoice => "Not a valid choice.",
            MessageKey::AppFieldError => "%(message)s",
            MessageKey::GenericAuthnFailed => {
                "Authentication failed - identity or password/passcode invalid"
            }
            MessageKey::GenericRecovery => {
                "If that email address is in our system, you will receive an email describing how to reset your password."
            }
            MessageKey::GenericUsSignin => {
                "If that identity is in our system, you were sent a code."
            }
            MessageKey::Unauthorized => "You do not have permission to view this resource.",
            MessageKey::Unauthenticated => "You must sign in to view this resource.",
            MessageKey::ReauthenticationRequired => {
                "You must reauthenticate to access this endpoint"
            }
            MessageKey::ConfirmRegistration => {
                "Thank you. To confirm your email address %(email)s, please click on the link in the email we have just sent to you."
            }
            MessageKey::EmailConfirmed => "Thank you. Your email has been confirmed.",
            MessageKey::AlreadyConfirmed => "Your email has already been confirmed.",
            MessageKey::InvalidConfirmationToken => "Invalid confirmation token.",
            MessageKey::EmailAlreadyAssociated => {
                "%(email)s is already associated with an account."
            }
            MessageKey::IdentityAlreadyAssociated => {
                "Identity attribute '%(attr)s' with value '%(value)s' is already associated with an account."
            }
            MessageKey::IdentityNotRegistered => "Identity %(id)s not registered",
            MessageKey::OauthHandshakeError => {
                "An error occurred while communicating with the OAuth provider: (%(exerror)s - %(exdesc)s). Please try again."
            }
            MessageKey::PasswordMismatch => "Password does not match",
            MessageKey::RetypePasswordMismatch => "Passwords do not match",
            MessageKey::InvalidRedirect => "Redirections outside the domain are forbidden",
            MessageKey::InvalidRecoveryCode => "Recovery code invalid",
            MessageKey::NoRecoveryCodesSetup => "No recovery codes generated yet",
            MessageKey::PasswordResetRequest => {
                "Instructions to reset your password have been sent to %(email)s."
            }
            MessageKey::PasswordResetExpired => {
                "You did not reset your password within %(within)s. "
            }
            MessageKey::InvalidResetPasswordToken => "Invalid reset password token.",
            MessageKey::ConfirmationRequired => "Email requires confirmation.",
            MessageKey::ConfirmationRequest => {
                "Confirmation instructions have been sent to %(email)s."
            }
            MessageKey::ConfirmationExpired => "You did not confirm your email within %(within)s. ",
            MessageKey::LoginExpired => {
                "You did not login within %(within)s. New instructions to login have been sent to %(email)s."
            }
            MessageKey::LoginEmailSent => "Instructions to login have been sent to %(email)s.",
            MessageKey::InvalidLoginToken => "Invalid login token.",
            MessageKey::DisabledAccount => "Account is disabled.",
            MessageKey::EmailNotProvided => "Email not provided",
            MessageKey::InvalidEmailAddress => "Invalid email address",
            MessageKey::InvalidCode => "Invalid code",
            MessageKey::InvalidInput => "Value entered is not valid for the field",
            MessageKey::InvalidInputLength => {
                "Value entered must be less than %(length)s characters"
            }
            MessageKey::PasswordNotProvided => "Password not provided",
            MessageKey::PasswordInvalidLength => "Password must be at least %(length)s characters",
            MessageKey::PasswordTooSimple => "Password not complex enough",
            MessageKey::PasswordBreached => "Password on breached list",
            MessageKey::PasswordBreachedSiteError => "Failed to contact breached passwords site",
            MessageKey::PhoneInvalid => "Phone number not valid e.g. missing country code",
            MessageKey::UserDoesNotExist => "Specified user does not exist",
            MessageKey::InvalidPassword => "Invalid password",
            MessageKey::InvalidPasswordCode => "Password or code submitted is not valid",
            MessageKey::PasswordlessLoginSuccessful => "You have successfully logged in.",
            MessageKey::ForgotPassword => "Forgot password?",
            MessageKey::PasswordReset => {
                "You successfully reset your password and you have been logged in automatically."
            }
            MessageKey::PasswordResetNoLogin => {
                "You successfully reset your password. Please authenticate using your new password."
            }
            MessageKey::PasswordIsTheSame => {
                "Your new password must be different than your previous password."
            }
            MessageKey::PasswordChange => "You successfully changed your password.",
            MessageKey::Login => "Please log in to access this page.",
            MessageKey::Refresh => "Please reauthenticate to access this page.",
            MessageKey::RefreshTokenInvalid => "Refresh token is invalid (%(reason)s)",
            MessageKey::ReauthenticationSuccessful => "Reauthentication successful",
            MessageKey::AnonymousUserRequired => {
                "You can only access this endpoint when not logged in."
            }
            MessageKey::CodeHasBeenSent => "Code has been sent.",
            MessageKey::FailedToSendCode => "Failed to send code. Please try again later",
            MessageKey::TwoFactorInvalidToken => "Invalid code",
            MessageKey::TwoFactorLoginSuccessful => "Your code has been confirmed",
            MessageKey::TwoFactorChangeMethodSuccessful => {
                "You successfully changed your two-factor method."
            }
            MessageKey::TwoFactorPermissionDenied => {
                "You currently do not have permissions to access this page"
            }
            MessageKey::TwoFactorMethodNotAvailable => "Marked method is not valid",
            MessageKey::TwoFactorDisabled => "You successfully disabled two-factor authorization.",
            MessageKey::TwoFactorSetupExpired => {
                "Setup must be completed within %(within)s. Please start over."
            }
            MessageKey::UsCurrentMethods => "Currently active sign in options: %(method_list)s.",
            MessageKey::UsMethodNotAvailable => "Requested method is not valid",
            MessageKey::UsSetupExpired => {
                "Setup must be completed within %(within)s. Please start over."
            }
            MessageKey::UsSetupSuccessful => "Unified sign in setup successful",
            MessageKey::UsSpecifyIdentity => "You must specify a valid identity to sign in",
            MessageKey::UseCode => "Use this code to sign in: %(code)s",
            MessageKey::UsernameChange => "You successfully changed your username",
            MessageKey::UsernameInvalidLength => {
                "Username must be at least %(min)d characters and less than %(max)d characters"
            }
            MessageKey::UsernameDisallowedCharacters => {
                "Username can contain only letters and numbers"
            }
            MessageKey::UsernameNotProvided => "Username not provided",
            MessageKey::UsernameAlreadyAssociated => {
                "%(username)s is already associated with an account."
            }
            MessageKey::WebauthnExpired => {
                "Passkey operations must be completed within %(within)s. Please start over."
            }
            MessageKey::WebauthnNameRequired => "Nickname for new passkey is required.",
            MessageKey::WebauthnNameInuse => "%(name)s is already associated with a passkey.",
            MessageKey::WebauthnNameNotFound => "%(name)s not registered with current user.",
            MessageKey::WebauthnNameDisallowedCharacters => {
                "Passkey nicknames can contain only letters, numbers, and limited punctuation."
            }
            MessageKey::WebauthnCredentialDeleted => {
                "Successfully deleted the passkey with name: %(name)s"
            }
            MessageKey::WebauthnRegisterSuccessful => {
                "Successfully added the passkey with name: %(name)s"
            }
            MessageKey::WebauthnCredentialIdInuse => "Passkey already registered.",
            MessageKey::WebauthnUnknownCredentialId => "Unregistered passkey.",
            MessageKey::WebauthnOrphanCredentialId => "Passkey doesn't belong to any user.",
            MessageKey::WebauthnNoVerify => "Could not verify passkey: %(cause)s.",
            MessageKey::WebauthnCredentialWrongUsage => {
                "Passkey not registered for this use (first or secondary)"
            }
            MessageKey::WebauthnMismatchUserHandle => "Credential user handle didn't match",
            MessageKey::ChangeEmailExpired => {
                "Confirmation must be completed within %(within)s. Please start over."
            }
            MessageKey::ChangeEmailConfirmed => "Change of email address confirmed",
            MessageKey::ChangeEmailSent => {
                "Instructions to confirm your new email address have been sent to %(email)s."
            }
            MessageKey::UsernameRecoveryRequest => {
                "If registered, your username will be sent to your email."
            }
            MessageKey::TooManyAttempts => "Too many attempts. Please try again in %(within)s.",
            MessageKey::AccountLocked => {
                "This account is locked after too many failed sign-in attempts. Try again in %(within)s, or follow the link we emailed you."
            }
            MessageKey::AccountUnlocked => "Your account is unlocked. You can sign in again.",
            MessageKey::InvalidUnlockToken => "Invalid or expired unlock link.",
            MessageKey::TooManyCodeAttempts => "Too many wrong codes. Please sign in again.",
            MessageKey::ServerBusy => "The server is busy. Please try again in a moment.",
        }
    }

    /// The message's category: `error`, `info` or `success`.
    pub fn category(self) -> &'static str {
        match self {
            MessageKey::ApiError
            | MessageKey::FieldRequired
            | MessageKey::NotAValidChoice
            | MessageKey::AppFieldError => "error",
            MessageKey::GenericAuthnFailed => "error",
            MessageKey::GenericRecovery => "info",
            MessageKey::GenericUsSignin => "info",
            MessageKey::Unauthorized => "error",
            MessageKey::Unauthenticated => "error",
            MessageKey::ReauthenticationRequired => "error",
            MessageKey::ConfirmRegistration => "success",
            MessageKey::EmailConfirmed => "success",
            MessageKey::AlreadyConfirmed => "info",
            MessageKey::InvalidConfirmationToken => "error",
            MessageKey::EmailAlreadyAssociated => "error",
            MessageKey::IdentityAlreadyAssociated => "error",
            MessageKey::IdentityNotRegistered => "error",
            MessageKey::OauthHandshakeError => "error",
            MessageKey::PasswordMismatch => "error",
            MessageKey::RetypePasswordMismatch => "error",
            MessageKey::InvalidRedirect => "error",
            MessageKey::InvalidRecoveryCode => "error",
            MessageKey::NoRecoveryCodesSetup => "info",
            MessageKey::PasswordResetRequest => "info",
            MessageKey::PasswordResetExpired => "error",
            MessageKey::InvalidResetPasswordToken => "error",
            MessageKey::ConfirmationRequired => "error",
            MessageKey::ConfirmationRequest => "info",
            MessageKey::ConfirmationExpired => "error",
            MessageKey::LoginExpired => "error",
            MessageKey::LoginEmailSent => "success",
            MessageKey::InvalidLoginToken => "error",
            MessageKey::DisabledAccount => "error",
            MessageKey::EmailNotProvided => "error",
            MessageKey::InvalidEmailAddress => "error",
            MessageKey::InvalidCode => "error",
            MessageKey::InvalidInput => "error",
            MessageKey::InvalidInputLength => "error",
            MessageKey::PasswordNotProvided => "error",
            MessageKey::PasswordInvalidLength => "error",
            MessageKey::PasswordTooSimple => "error",
            MessageKey::PasswordBreached => "error",
            MessageKey::PasswordBreachedSiteError => "error",
            MessageKey::PhoneInvalid => "error",
            MessageKey::UserDoesNotExist => "error",
            MessageKey::InvalidPassword => "error",
            MessageKey::InvalidPasswordCode => "error",
            MessageKey::PasswordlessLoginSuccessful => "success",
            MessageKey::ForgotPassword => "info",
            MessageKey::PasswordReset => "success",
            MessageKey::PasswordResetNoLogin => "success",
            MessageKey::PasswordIsTheSame => "error",
            MessageKey::PasswordChange => "success",
            MessageKey::Login => "info",
            MessageKey::Refresh => "info",
            MessageKey::RefreshTokenInvalid => "error",
            MessageKey::ReauthenticationSuccessful => "info",
            MessageKey::AnonymousUserRequired => "error",
            MessageKey::CodeHasBeenSent => "info",
            MessageKey::FailedToSendCode => "error",
            MessageKey::TwoFactorInvalidToken => "error",
            MessageKey::TwoFactorLoginSuccessful => "success",
            MessageKey::TwoFactorChangeMethodSuccessful => "success",
            MessageKey::TwoFactorPermissionDenied => "error",
            MessageKey::TwoFactorMethodNotAvailable => "error",
            MessageKey::TwoFactorDisabled => "success",
            MessageKey::TwoFactorSetupExpired => "error",
            MessageKey::UsCurrentMethods => "info",
            MessageKey::UsMethodNotAvailable => "error",
            MessageKey::UsSetupExpired => "error",
            MessageKey::UsSetupSuccessful => "info",
            MessageKey::UsSpecifyIdentity => "error",
            MessageKey::UseCode => "info",
            MessageKey::UsernameChange => "success",
            MessageKey::UsernameInvalidLength => "error",
            MessageKey::UsernameDisallowedCharacters => "error",
            MessageKey::UsernameNotProvided => "error",
            MessageKey::UsernameAlreadyAssociated => "error",
            MessageKey::WebauthnExpired => "error",
            MessageKey::WebauthnNameRequired => "error",
            MessageKey::WebauthnNameInuse => "error",
            MessageKey::WebauthnNameNotFound => "error",
            MessageKey::WebauthnNameDisallowedCharacters => "error",
            MessageKey::WebauthnCredentialDeleted => "info",
            MessageKey::WebauthnRegisterSuccessful => "info",
            MessageKey::WebauthnCredentialIdInuse => "error",
            MessageKey::WebauthnUnknownCredentialId => "error",
            MessageKey::WebauthnOrphanCredentialId => "error",
            MessageKey::WebauthnNoVerify => "error",
            MessageKey::WebauthnCredentialWrongUsage => "error",
            MessageKey::WebauthnMismatchUserHandle => "error",
            MessageKey::ChangeEmailExpired => "error",
            MessageKey::ChangeEmailConfirmed => "success",
            MessageKey::ChangeEmailSent => "success",
            MessageKey::UsernameRecoveryRequest => "info",
            MessageKey::TooManyAttempts => "error",
            MessageKey::AccountLocked => "error",
            MessageKey::AccountUnlocked => "success",
            MessageKey::InvalidUnlockToken => "error",
            MessageKey::TooManyCodeAttempts => "error",
            MessageKey::ServerBusy => "error",
        }
    }
}
