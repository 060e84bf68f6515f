//! Countries and states for address forms: reference §4.2.

use super::http::Call;
use super::{CmrClient, CmrError};
use crate::types::{Countries, Reply, States};

impl CmrClient {
    /// `GET /geo/countries` — country name → ISO alpha-2 code.
    pub async fn countries(&self) -> Result<Reply<Countries>, CmrError> {
        self.send(Call::get("/geo/countries")).await?.into_reply()
    }

    /// `GET /geo/states?countryCode=` — state name → code; empty for countries without states.
    pub async fn states(&self, country_code: &str) -> Result<Reply<States>, CmrError> {
        let call = Call::get("/geo/states").query("countryCode", country_code);
        self.send(call).await?.into_reply()
    }
}
