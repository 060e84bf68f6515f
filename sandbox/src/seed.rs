//! Deterministic demo data: 40 customers in 12 countries with domains in every status, DNS,
//! mailboxes, subscriptions, orders and a wallet. Hand-made tables plus a fixed-seed id
//! generator: the same world in every run (dates are relative to the seed day).

use std::collections::BTreeMap;
use std::time::Duration;

use time::OffsetDateTime;

use super::state::{
    add_years, DnsRec, DomainRec, MailboxRec, OrderPlan, OrderRec, SubscriptionRec, UserRec, World,
    MAILBOX_PRICE,
};
use cmr::types::{
    DomainStatus, MailboxStatus, OrderMailbox, OrderStatus, RecordType, ServiceProvider,
    SubscriptionStatus, UserProfile,
};

/// Customers whose index satisfies this have no domains or mailboxes (so they can be deleted).
fn has_no_services(index: usize) -> bool {
    index % 4 == 3
}

/// The seeded wallet: 1,250.00 USD.
pub(crate) const SEED_WALLET_CENTS: i64 = 125_000;

struct Customer {
    first: &'static str,
    last: &'static str,
    company: &'static str,
    email: &'static str,
    line1: &'static str,
    line2: &'static str,
    line3: &'static str,
    city: &'static str,
    state: &'static str,
    postal: &'static str,
    country: &'static str,
    phone_cc: &'static str,
    phone: &'static str,
    language: &'static str,
}

macro_rules! customers {
    ($( ($first:literal, $last:literal, $company:literal, $email:literal, $line1:literal,
         $line2:literal, $line3:literal, $city:literal, $state:literal, $postal:literal,
         $country:literal, $cc:literal, $phone:literal, $lang:literal) ),+ $(,)?) => {
        &[$(Customer {
            first: $first, last: $last, company: $company, email: $email, line1: $line1,
            line2: $line2, line3: $line3, city: $city, state: $state, postal: $postal,
            country: $country, phone_cc: $cc, phone: $phone, language: $lang,
        }),+]
    };
}

#[rustfmt::skip]
const CUSTOMERS: &[Customer] = customers![
    ("Olivia", "Bennett", "Northwind Growth Partners", "olivia.bennett@northwindgrowth.com", "1200 Market Street", "Suite 400", "", "San Francisco", "California", "94103", "US", "1", "4155550142", "en"),
    ("Marcus", "Reyes", "Brightline Outreach", "marcus@brightlineoutreach.com", "88 Pine Street", "Floor 12", "", "New York", "New York", "10005", "US", "1", "2125550187", "en"),
    ("Hannah", "Kowalski", "Lakeshore Revenue Co", "hannah.kowalski@lakeshorerevenue.com", "233 S Wacker Drive", "", "", "Chicago", "Illinois", "60606", "US", "1", "3125550119", "en"),
    ("Darnell", "Brooks", "Peachtree Pipeline", "d.brooks@peachtreepipeline.com", "1075 Peachtree Street NE", "Suite 3650", "", "Atlanta", "Georgia", "30309", "US", "1", "4045550163", "en"),
    ("Emily", "Nakamura", "Cascade Demand Labs", "emily@cascadedemand.com", "400 Pine Street", "", "", "Seattle", "Washington", "98101", "US", "1", "2065550128", "en"),
    ("Samuel", "Ortiz", "Lone Star Leadworks", "samuel.ortiz@lonestarleadworks.com", "701 Brazos Street", "Suite 1050", "", "Austin", "Texas", "78701", "US", "1", "5125550174", "en"),
    ("Grace", "O'Connell", "Harborview Consulting", "grace.oconnell@harborviewconsulting.com", "100 Federal Street", "", "", "Boston", "Massachusetts", "02110", "US", "1", "6175550136", "en"),
    ("Victor", "Lindqvist", "Mile High Ventures", "victor@milehighventures.co", "1801 California Street", "Suite 2400", "", "Denver", "Colorado", "80202", "US", "1", "3035550191", "en"),
    ("Chloé", "Tremblay", "Maple & Pine Marketing", "chloe.tremblay@mapleandpine.ca", "1250 Boulevard René-Lévesque O", "Bureau 2200", "", "Montréal", "Quebec", "H3B 4W8", "CA", "1", "5145550147", "fr"),
    ("Liam", "MacDonald", "Northern Arc Sales", "liam.macdonald@northernarc.ca", "181 Bay Street", "Suite 1800", "", "Toronto", "Ontario", "M5J 2T3", "CA", "1", "4165550182", "en"),
    ("Priya", "Sandhu", "Coastline Lead Co", "priya@coastlinelead.ca", "1055 West Georgia Street", "", "", "Vancouver", "British Columbia", "V6E 3P3", "CA", "1", "6045550113", "en"),
    ("Ethan", "Fraser", "Prairie Signal Group", "ethan.fraser@prairiesignal.ca", "10180 101 Street NW", "", "", "Edmonton", "Alberta", "T5J 3S4", "CA", "1", "7805550165", "en"),
    ("Charlotte", "Hughes", "Thamesbridge Digital", "charlotte.hughes@thamesbridge.co.uk", "30 St Mary Axe", "Level 21", "", "London", "England", "EC3A 8BF", "GB", "44", "2075550134", "en"),
    ("Oliver", "Patel", "Redbrick Outbound", "oliver@redbrickoutbound.co.uk", "1 Spinningfields", "Quay Street", "", "Manchester", "England", "M3 3JE", "GB", "44", "1615550178", "en"),
    ("Isla", "Campbell", "Firth Growth Studio", "isla.campbell@firthgrowth.co.uk", "4 Atholl Crescent", "", "", "Edinburgh", "Scotland", "EH3 8HA", "GB", "44", "1315550152", "en"),
    ("Rhys", "Morgan", "Severn Lead Systems", "rhys.morgan@severnlead.co.uk", "2 Callaghan Square", "", "", "Cardiff", "Wales", "CF10 5AZ", "GB", "44", "2920550139", "en"),
    ("Amelia", "Clarke", "Kestrel Pipeline Ltd", "amelia@kestrelpipeline.co.uk", "One Colmore Square", "", "", "Birmingham", "England", "B4 6AA", "GB", "44", "1215550126", "en"),
    ("Jonas", "Weber", "Rheinwerk Vertrieb GmbH", "jonas.weber@rheinwerk-vertrieb.de", "Königsallee 92a", "", "", "Düsseldorf", "Nordrhein-Westfalen", "40212", "DE", "49", "2115550171", "de"),
    ("Lena", "Fischer", "Spreeklar Marketing", "lena.fischer@spreeklar.de", "Friedrichstraße 68", "3. OG", "", "Berlin", "Berlin", "10117", "DE", "49", "305550144", "de"),
    ("Maximilian", "Schäfer", "Isarblick Consulting", "max.schaefer@isarblick.de", "Maximilianstraße 35", "Aufgang C", "", "München", "Bayern", "80539", "DE", "49", "895550188", "de"),
    ("Sophie", "Becker", "Hanseatic Leads", "sophie@hanseatic-leads.de", "Jungfernstieg 7", "", "", "Hamburg", "Hamburg", "20354", "DE", "49", "405550115", "de"),
    ("Camille", "Laurent", "Lumière Croissance", "camille.laurent@lumierecroissance.fr", "12 Rue de la Paix", "Bâtiment B", "", "Paris", "Île-de-France", "75002", "FR", "33", "142555017", "fr"),
    ("Hugo", "Moreau", "Rhône Prospection", "hugo.moreau@rhoneprospection.fr", "45 Quai Charles de Gaulle", "", "", "Lyon", "Auvergne-Rhône-Alpes", "69006", "FR", "33", "472555038", "fr"),
    ("Léa", "Dubois", "Atlantique Ventes", "lea@atlantiqueventes.fr", "8 Cours de l'Intendance", "", "", "Bordeaux", "Nouvelle-Aquitaine", "33000", "FR", "33", "556555061", "fr"),
    ("Jack", "Thompson", "Harbourside Growth", "jack.thompson@harboursidegrowth.com.au", "1 Macquarie Place", "Level 18", "", "Sydney", "New South Wales", "2000", "AU", "61", "292555014", "en"),
    ("Ruby", "Nguyen", "Southbank Outreach", "ruby.nguyen@southbankoutreach.com.au", "180 Lonsdale Street", "Level 9", "", "Melbourne", "Victoria", "3000", "AU", "61", "396555072", "en"),
    ("Noah", "Williams", "Coral Coast Leads", "noah@coralcoastleads.com.au", "123 Eagle Street", "", "", "Brisbane", "Queensland", "4000", "AU", "61", "730555049", "en"),
    ("Mia", "Anderson", "Swan River Sales", "mia.anderson@swanriversales.com.au", "240 St Georges Terrace", "", "", "Perth", "Western Australia", "6000", "AU", "61", "892555083", "en"),
    ("Arjun", "Mehta", "Saffron Reach Pvt Ltd", "arjun.mehta@saffronreach.in", "Bandra Kurla Complex", "Tower B, 9th Floor", "G Block", "Mumbai", "Maharashtra", "400051", "IN", "91", "2265550123", "en"),
    ("Ananya", "Iyer", "Indigo Funnel Labs", "ananya@indigofunnel.in", "80 Feet Road", "Koramangala 4th Block", "", "Bengaluru", "Karnataka", "560034", "IN", "91", "8045550167", "en"),
    ("Rohan", "Kapoor", "Delhi Demand Works", "rohan.kapoor@delhidemand.in", "Connaught Place", "Block F, 2nd Floor", "Inner Circle", "New Delhi", "Delhi", "110001", "IN", "91", "1145550109", "en"),
    ("Kavya", "Reddy", "Charminar Growth", "kavya.reddy@charminargrowth.in", "Hitech City Road", "Cyber Towers, 5th Floor", "", "Hyderabad", "Telangana", "500081", "IN", "91", "4045550158", "en"),
    ("Daan", "de Vries", "Grachten Groei BV", "daan@grachtengroei.nl", "Herengracht 450", "", "", "Amsterdam", "Noord-Holland", "1017 CA", "NL", "31", "205550146", "nl"),
    ("Sanne", "Jansen", "Maasdelta Leads", "sanne.jansen@maasdelta.nl", "Coolsingel 42", "", "", "Rotterdam", "Zuid-Holland", "3011 AD", "NL", "31", "105550192", "nl"),
    ("Lucía", "García", "Solana Prospección", "lucia.garcia@solanaprospeccion.es", "Paseo de la Castellana 95", "Planta 15", "", "Madrid", "Comunidad de Madrid", "28046", "ES", "34", "915550131", "es"),
    ("Pablo", "Martínez", "Mediterrània Vendes", "pablo@mediterraniavendes.es", "Avinguda Diagonal 640", "", "", "Barcelona", "Cataluña", "08017", "ES", "34", "935550177", "es"),
    ("Aoife", "Murphy", "Liffey Lead Co", "aoife.murphy@liffeylead.ie", "2 Grand Canal Square", "", "", "Dublin", "Leinster", "D02 A342", "IE", "353", "15550184", "en"),
    ("Cian", "O'Brien", "Shannon Growth Partners", "cian.obrien@shannongrowth.ie", "Dock Road", "Unit 4", "", "Limerick", "Munster", "V94 X2K8", "IE", "353", "615550127", "en"),
    ("Elsa", "Johansson", "Nordljus Försäljning AB", "elsa.johansson@nordljus.se", "Kungsgatan 44", "", "", "Stockholm", "Stockholm", "111 35", "SE", "46", "855550162", "sv"),
    ("Rafael", "Souza", "Ipanema Outbound Ltda", "rafael.souza@ipanemaoutbound.com.br", "Avenida Paulista 1578", "Conjunto 1201", "", "São Paulo", "São Paulo", "01310-200", "BR", "55", "1135550140", "pt"),
];

/// Sender personas for mailboxes.
const PERSONAS: &[(&str, &str)] = &[
    ("alex", "morgan"),
    ("jamie", "lee"),
    ("taylor", "brooks"),
    ("jordan", "hayes"),
    ("casey", "reed"),
    ("riley", "quinn"),
    ("morgan", "ellis"),
    ("avery", "price"),
    ("quinn", "foster"),
    ("drew", "bailey"),
    ("sam", "carter"),
    ("jess", "harper"),
];

/// How a seeded domain looks: its status and where its expiry sits relative to the seed day.
#[derive(Clone, Copy)]
enum DomainShape {
    /// ACTIVE, expiry far away (not yet renewable).
    ActiveFar,
    /// ACTIVE, inside the 45-day renewal window.
    ActiveSoon,
    GracePeriod,
    Pending,
    Renewing,
    Expired,
    Transferred,
    Inactive,
}

const DOMAIN_SHAPES: [DomainShape; 12] = [
    DomainShape::ActiveFar,
    DomainShape::ActiveSoon,
    DomainShape::ActiveFar,
    DomainShape::GracePeriod,
    DomainShape::ActiveFar,
    DomainShape::Pending,
    DomainShape::ActiveSoon,
    DomainShape::Renewing,
    DomainShape::Expired,
    DomainShape::ActiveFar,
    DomainShape::Transferred,
    DomainShape::Inactive,
];

/// Subscription statuses for domains in good standing, cycled.
const ACTIVE_SUBSCRIPTION_CYCLE: [SubscriptionStatus; 6] = [
    SubscriptionStatus::Active,
    SubscriptionStatus::Active,
    SubscriptionStatus::Renewing,
    SubscriptionStatus::Active,
    SubscriptionStatus::Cancelled,
    SubscriptionStatus::Active,
];

const DAY: Duration = Duration::from_secs(86_400);

fn days(n: u64) -> Duration {
    DAY * u32::try_from(n).unwrap_or(u32::MAX)
}

/// Fills an empty world with the demo data, relative to `today` (midnight UTC).
pub(crate) fn seed(world: &mut World, today: OffsetDateTime) {
    world.wallet = SEED_WALLET_CENTS;
    let mut domain_counter = 0usize;
    let mut active_subs = 0usize;
    for (index, c) in CUSTOMERS.iter().enumerate() {
        let user_id = world.ids.cmr_id();
        world.users.push(UserRec {
            id: user_id.clone(),
            profile: profile_of(c),
            created: today - days(400 - index as u64 * 9),
        });
        if has_no_services(index) {
            continue;
        }
        let base = c
            .email
            .split('@')
            .nth(1)
            .and_then(|d| d.split('.').next())
            .unwrap_or("example");
        let domain_count = 1 + index % 2;
        for n in 0..domain_count {
            let shape = DOMAIN_SHAPES[domain_counter % DOMAIN_SHAPES.len()];
            let name = match (domain_counter + n) % 4 {
                0 => format!("try{base}.com"),
                1 => format!("{base}mail.com"),
                2 => format!("{base}-hq.net"),
                _ => format!("get{base}.io"),
            };
            let provider = if domain_counter % 3 == 2 {
                ServiceProvider::Microsoft
            } else {
                ServiceProvider::Google
            };
            let domain_id = seed_domain(
                world,
                today,
                &user_id,
                &name,
                shape,
                &provider,
                domain_counter,
            );
            let sub_status = match shape {
                DomainShape::Transferred | DomainShape::Inactive => None,
                DomainShape::Expired => Some(SubscriptionStatus::Expired),
                DomainShape::GracePeriod => Some(SubscriptionStatus::PastDue),
                DomainShape::Pending | DomainShape::Renewing => Some(SubscriptionStatus::Active),
                DomainShape::ActiveFar | DomainShape::ActiveSoon => {
                    active_subs += 1;
                    Some(ACTIVE_SUBSCRIPTION_CYCLE[(active_subs - 1) % 6].clone())
                }
            };
            if let Some(status) = sub_status {
                let pending = matches!(shape, DomainShape::Pending);
                seed_workspace(
                    world,
                    today,
                    (&user_id, &domain_id, &name),
                    status,
                    &provider,
                    pending,
                    domain_counter,
                );
            }
            domain_counter += 1;
        }
    }
    seed_orders(world, today);
}

fn profile_of(c: &Customer) -> UserProfile {
    UserProfile {
        first_name: c.first.into(),
        last_name: c.last.into(),
        company: c.company.into(),
        email: c.email.into(),
        phone_cc: c.phone_cc.into(),
        phone: c.phone.into(),
        address_line_one: c.line1.into(),
        address_line_two: c.line2.into(),
        address_line_three: c.line3.into(),
        city: c.city.into(),
        state: c.state.into(),
        postal_code: c.postal.into(),
        country: c.country.into(),
        language_preference: c.language.into(),
    }
}

fn seed_domain(
    world: &mut World,
    today: OffsetDateTime,
    user_id: &str,
    name: &str,
    shape: DomainShape,
    provider: &ServiceProvider,
    k: usize,
) -> String {
    let k = k as u64;
    let (status, expiry) = match shape {
        DomainShape::ActiveFar => (DomainStatus::Active, today + days(90 + k * 7 % 200)),
        DomainShape::ActiveSoon => (DomainStatus::Active, today + days(8 + k % 30)),
        DomainShape::GracePeriod => (DomainStatus::GracePeriod, today - days(2 + k % 4)),
        DomainShape::Pending => (DomainStatus::Pending, add_years(today, 1)),
        DomainShape::Renewing => (DomainStatus::Renewing, today + days(3)),
        DomainShape::Expired => (DomainStatus::Expired, today - days(20 + k % 10)),
        DomainShape::Transferred => (DomainStatus::Transferred, today + days(150)),
        DomainShape::Inactive => (DomainStatus::Inactive, today + days(60)),
    };
    let created = match shape {
        DomainShape::Pending => today,
        _ => expiry - days(365),
    };
    let id = world.ids.cmr_id();
    world.domains.push(DomainRec {
        id: id.clone(),
        name: name.to_owned(),
        user_id: user_id.to_owned(),
        status,
        created,
        expiry,
        auto_renew: k % 3 != 1,
        provider: provider.clone(),
        purchase_type: if k % 7 == 4 { "PRE_WARMUP" } else { "NEW" },
        domain_forwarding: k.is_multiple_of(4).then(|| format!("https://www.{name}")),
        email_forwarding: None,
        change: None,
        forwarding_asked: Vec::new(),
    });
    seed_dns(world, &id, name, provider, k);
    id
}

fn seed_dns(world: &mut World, domain_id: &str, name: &str, provider: &ServiceProvider, k: u64) {
    let (mx, priority, spf, cname) = match provider {
        ServiceProvider::Microsoft => (
            format!("{}.mail.protection.outlook.com", name.replace('.', "-")),
            "0",
            "v=spf1 include:spf.protection.outlook.com -all",
            "autodiscover.outlook.com",
        ),
        _ => (
            "smtp.google.com".to_owned(),
            "1",
            "v=spf1 include:_spf.google.com ~all",
            "ghs.googlehosted.com",
        ),
    };
    let records: [(&str, String, RecordType, &str, bool); 5] = [
        (
            "@",
            format!("203.0.113.{}", 10 + k % 200),
            RecordType::A,
            "",
            false,
        ),
        ("@", mx, RecordType::Mx, priority, false),
        ("@", spf.to_owned(), RecordType::Txt, "", false),
        (
            "_dmarc",
            format!("v=DMARC1; p=quarantine; rua=mailto:dmarc@{name}; pct=100; adkim=r; aspf=r"),
            RecordType::Txt,
            "",
            false,
        ),
        (
            if *provider == ServiceProvider::Microsoft {
                "autodiscover"
            } else {
                "mail"
            },
            cname.to_owned(),
            RecordType::Cname,
            "",
            false,
        ),
    ];
    for (host, value, record_type, priority, disabled) in records {
        let id = world.ids.cmr_id();
        world.dns.push(DnsRec {
            id,
            domain_id: domain_id.to_owned(),
            host: host.to_owned(),
            value,
            record_type,
            priority: priority.to_owned(),
            ttl: 3600,
            disabled,
        });
    }
    if k.is_multiple_of(5) {
        let id = world.ids.cmr_id();
        world.dns.push(DnsRec {
            id,
            domain_id: domain_id.to_owned(),
            host: "old".to_owned(),
            value: "198.51.100.7".to_owned(),
            record_type: RecordType::A,
            priority: String::new(),
            ttl: 300,
            disabled: true,
        });
    }
}

fn seed_workspace(
    world: &mut World,
    today: OffsetDateTime,
    (user_id, domain_id, domain): (&str, &str, &str),
    status: SubscriptionStatus,
    provider: &ServiceProvider,
    domain_pending: bool,
    k: usize,
) {
    let (period_start, period_end) = match status {
        SubscriptionStatus::Renewing => (today - days(30), today),
        SubscriptionStatus::PastDue => (today - days(33), today - days(3)),
        SubscriptionStatus::Expired => (today - days(50), today - days(20)),
        _ => {
            let start = today - days((k % 25) as u64);
            (start, start + days(30))
        }
    };
    let subscription_id = world.ids.cmr_id();
    world.subscriptions.push(SubscriptionRec {
        id: subscription_id.clone(),
        user_id: user_id.to_owned(),
        domain_id: domain_id.to_owned(),
        domain: domain.to_owned(),
        status: status.clone(),
        // Past twelve active months the price tier moves from 3 to 5 per mailbox.
        price_per_mailbox: if k % 5 == 1 { 500 } else { MAILBOX_PRICE },
        period_start,
        period_end,
        provider: provider.clone(),
        auto_renew: k % 4 != 2,
        renewing_since: None,
    });
    let count = 2 + k % 4;
    for n in 0..count {
        let (first, last) = PERSONAS[(k * 3 + n) % PERSONAS.len()];
        let mailbox_status = match (&status, domain_pending) {
            (_, true) if n % 2 == 0 => MailboxStatus::InProgress,
            (_, true) => MailboxStatus::CreatingPassword,
            (SubscriptionStatus::Expired | SubscriptionStatus::Cancelled, _) => {
                MailboxStatus::Expired
            }
            _ => MailboxStatus::Active,
        };
        let user_name = if n % 2 == 0 {
            format!("{first}.{last}")
        } else {
            first.to_owned()
        };
        let id = world.ids.cmr_id();
        world.mailboxes.push(MailboxRec {
            id,
            user_id: user_id.to_owned(),
            domain_id: domain_id.to_owned(),
            domain: domain.to_owned(),
            subscription_id: Some(subscription_id.clone()),
            user_name,
            first_name: capitalised(first),
            last_name: capitalised(last),
            profile_picture: None,
            status: mailbox_status,
            provider: provider.clone(),
            on_warmup: (k + n).is_multiple_of(3),
            created: period_start,
            provisioning_since: None,
            order_id: None,
            pending_update: None,
        });
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A few past orders, one still processing, one failed, and one waiting to be processed.
fn seed_orders(world: &mut World, today: OffsetDateTime) {
    let owners: Vec<(String, String, u32)> = world
        .domains
        .iter()
        .step_by(5)
        .map(|d| {
            let quantity = world
                .mailboxes
                .iter()
                .filter(|m| m.domain_id == d.id)
                .count();
            (
                d.user_id.clone(),
                d.name.clone(),
                u32::try_from(quantity).unwrap_or(0),
            )
        })
        .collect();
    for (n, (user_id, domain, quantity)) in owners.into_iter().enumerate() {
        let status = match n {
            2 => OrderStatus::Processing,
            4 => OrderStatus::Failed,
            _ => OrderStatus::Completed,
        };
        let mailboxes = (0..quantity)
            .map(|i| {
                let (first, last) = PERSONAS[i as usize % PERSONAS.len()];
                OrderMailbox {
                    username: format!("{first}.{last}"),
                    first_name: capitalised(first),
                    last_name: capitalised(last),
                    profile_picture: None,
                    on_warmup: None,
                }
            })
            .collect();
        let total = World::domain_price(&domain) + i64::from(quantity) * MAILBOX_PRICE;
        let created = today - days(30 + n as u64 * 11);
        push_order(world, user_id, domain, mailboxes, status, created, total);
    }
    // An order created with `confirm: false`, waiting for the process call.
    if let Some(user) = world.users.first() {
        let domain = "northwindgrowth-outreach.com".to_owned();
        let mailboxes = vec![OrderMailbox {
            username: "olivia".into(),
            first_name: "Olivia".into(),
            last_name: "Bennett".into(),
            profile_picture: None,
            on_warmup: Some(true),
        }];
        let user_id = user.id.clone();
        let total = World::domain_price(&domain) + MAILBOX_PRICE + super::state::WARMUP_PRICE;
        let (status, created) = (OrderStatus::Pending, today - days(1));
        push_order(world, user_id, domain, mailboxes, status, created, total);
    }
}

/// A Google order for one domain and its mailboxes; processed unless still pending.
fn push_order(
    world: &mut World,
    user_id: String,
    domain: String,
    mailboxes: Vec<OrderMailbox>,
    status: OrderStatus,
    created: OffsetDateTime,
    total: i64,
) {
    let id = world.ids.cmr_id();
    let processed = status != OrderStatus::Pending;
    // One of the failure reasons CMR documents (reference §4.5).
    let failure = (status == OrderStatus::Failed).then(|| "Registrar error".to_owned());
    world.orders.push(OrderRec {
        id,
        user_id,
        status,
        created,
        total,
        plan: OrderPlan {
            domains: vec![(domain.clone(), 1, None)],
            mailboxes: BTreeMap::from([(domain, mailboxes)]),
            subscription_id: None,
            provider: ServiceProvider::Google,
            auto_renew: true,
        },
        processed,
        processing_since: None,
        failure,
    });
}

/// A large partner for scale measurements: `customers` customers with three domains each, and
/// each domain's workspace with 2–5 mailboxes (2,000 customers: 6,000 domains, about 21,000
/// mailboxes). Deterministic like the demo world; added after it.
pub(crate) fn seed_large(world: &mut World, today: OffsetDateTime, customers: usize) {
    for index in 0..customers {
        let (first, last) = PERSONAS[index % PERSONAS.len()];
        let user_id = world.ids.cmr_id();
        world.users.push(UserRec {
            id: user_id.clone(),
            profile: UserProfile {
                first_name: capitalised(first),
                last_name: format!("{} {index}", capitalised(last)),
                company: format!("Bulk Outreach {index}"),
                email: format!("owner{index}@bulk{index}.example"),
                country: "US".into(),
                language_preference: "en".into(),
                ..UserProfile::default()
            },
            created: today - days(30),
        });
        for n in 0..3 {
            let k = index * 3 + n;
            let shape = DOMAIN_SHAPES[k % DOMAIN_SHAPES.len()];
            let name = format!("bulk{index}-{n}.com");
            let provider = if k % 3 == 2 {
                ServiceProvider::Microsoft
            } else {
                ServiceProvider::Google
            };
            let domain_id = seed_domain(world, today, &user_id, &name, shape, &provider, k);
            seed_workspace(
                world,
                today,
                (&user_id, &domain_id, &name),
                SubscriptionStatus::Active,
                &provider,
                false,
                k,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn seeded() -> World {
        let mut world = World::empty();
        seed(&mut world, OffsetDateTime::UNIX_EPOCH + days(20_000));
        world
    }

    #[test]
    fn the_seed_is_the_same_every_time() {
        let (a, b) = (seeded(), seeded());
        let ids = |w: &World| w.users.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(a.domains.len(), b.domains.len());
    }

    #[test]
    fn the_seed_covers_every_status_and_at_least_eight_countries() {
        let w = seeded();
        assert_eq!(w.users.len(), 40);
        let countries: BTreeSet<_> = w.users.iter().map(|u| u.profile.country.clone()).collect();
        assert!(countries.len() >= 8, "{countries:?}");
        for status in DomainStatus::KNOWN {
            assert!(
                w.domains.iter().any(|d| &d.status == status),
                "domain {status}"
            );
        }
        for status in MailboxStatus::KNOWN {
            assert!(
                w.mailboxes.iter().any(|m| &m.status == status),
                "mailbox {status}"
            );
        }
        for status in SubscriptionStatus::KNOWN {
            assert!(
                w.subscriptions.iter().any(|s| &s.status == status),
                "subscription {status}"
            );
        }
        let emails: BTreeSet<_> = w.users.iter().map(|u| u.profile.email.clone()).collect();
        assert_eq!(emails.len(), 40, "emails are unique");
    }

    #[test]
    fn some_customers_have_nothing_and_can_be_deleted() {
        let w = seeded();
        let empty = w
            .users
            .iter()
            .filter(|u| !w.domains.iter().any(|d| d.user_id == u.id))
            .count();
        assert!(empty >= 5);
        assert!(w.users.len() - empty >= 20);
    }
}
