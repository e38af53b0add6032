//! How the server stores ids and enums (feature `sqlx`): as text, in any of
//! its databases. The app never builds this.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// Ids: the string they wrap.
macro_rules! text_id {
    ($($id:ty),*) => {$(
        impl<DB: Database> Type<DB> for $id
        where
            String: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $id
        where
            String: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<'q, DB>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $id
        where
            String: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(Self(<String as Decode<'r, DB>>::decode(value)?))
            }
        }
    )*};
}

/// Enums: their wire names (`as_str`, `FromStr`).
macro_rules! text_enum {
    ($($enum:ty),*) => {$(
        impl<DB: Database> Type<DB> for $enum
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $enum
        where
            &'q str: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                let name: &'q str = self.as_str();
                <&'q str as Encode<'q, DB>>::encode(name, buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $enum
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let name = <&'r str as Decode<'r, DB>>::decode(value)?;
                name.parse()
                    .map_err(|_| format!("{name:?} is not a {}", stringify!($enum)).into())
            }
        }
    )*};
}

text_id!(
    crate::ids::OrganisationId,
    crate::ids::UserId,
    crate::ids::InvitationId,
    crate::ids::ProjectId,
    crate::ids::CredentialId,
    crate::ids::EndpointId,
    crate::ids::EventId,
    crate::ids::DeliveryId
);

text_enum!(
    crate::Role,
    crate::accounts::OrganisationStatus,
    crate::team::MemberStatus,
    crate::projects::Environment,
    crate::webhooks::DisabledReason,
    crate::webhooks::DeliveryStatus
);
