//! Import rules that need no database: what can be imported (targets and
//! their fields), how a column header is guessed to be a field, and the
//! job's states and duplicate modes.

use serde::{Deserialize, Serialize};

use crate::customers::ContactRole;
use crate::leads::{Intention, LeadStatus};

/// What an import creates: one variant here and one target in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Customers,
    Contacts,
    Leads,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Customers, Target::Contacts, Target::Leads];

    pub fn code(self) -> &'static str {
        match self {
            Target::Customers => "customers",
            Target::Contacts => "contacts",
            Target::Leads => "leads",
        }
    }

    pub fn parse(code: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.code() == code.trim())
    }

    /// The fields a column can be mapped to, in form order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Target::Customers => CUSTOMER_FIELDS,
            Target::Contacts => CONTACT_FIELDS,
            Target::Leads => LEAD_FIELDS,
        }
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }
}

/// One importable field: its name (the create form's field name), whether
/// a row needs it, and header texts that mean it (lower-case, without
/// spaces), Chinese and English.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    pub aliases: &'static [&'static str],
}

const CUSTOMER_FIELDS: &[Field] = &[
    Field {
        name: "name",
        required: true,
        aliases: &[
            "name",
            "customer",
            "customername",
            "company",
            "companyname",
            "account",
            "accountname",
            "客户名称",
            "客户名",
            "客户",
            "公司名称",
            "公司",
            "企业名称",
            "单位名称",
            "名称",
        ],
    },
    Field {
        name: "grade", required: false, aliases: &["grade", "level", "rating", "等级", "客户等级", "级别"]
    },
    Field { name: "industry", required: false, aliases: &["industry", "sector", "行业", "所属行业"] },
    Field {
        name: "phone",
        required: false,
        aliases: &["phone", "tel", "telephone", "companyphone", "电话", "公司电话", "联系电话", "座机", "总机"],
    },
    Field {
        name: "website",
        required: false,
        aliases: &["website", "web", "url", "homepage", "网址", "官网", "公司网址", "网站"],
    },
    Field {
        name: "credit_code",
        required: false,
        aliases: &[
            "creditcode",
            "unifiedsocialcreditcode",
            "uscc",
            "taxid",
            "统一社会信用代码",
            "信用代码",
            "社会信用代码",
            "税号",
            "纳税人识别号",
        ],
    },
    Field {
        name: "province",
        required: false,
        aliases: &["province", "state", "region", "省份", "省", "地区", "区域"],
    },
    Field { name: "city", required: false, aliases: &["city", "城市", "市"] },
    Field { name: "address", required: false, aliases: &["address", "地址", "详细地址", "公司地址"] },
    Field {
        name: "source",
        required: false,
        aliases: &["source", "channel", "leadsource", "来源", "来源渠道", "渠道", "客户来源"],
    },
    Field { name: "kind", required: false, aliases: &["kind", "type", "customertype", "客户类型", "类型"] },
    Field { name: "tags", required: false, aliases: &["tags", "tag", "labels", "标签"] },
    Field {
        name: "credit_limit",
        required: false,
        aliases: &["creditlimit", "credit", "信用额度", "额度", "授信额度"],
    },
    Field {
        name: "owner",
        required: false,
        aliases: &["owner", "salesperson", "salesrep", "accountowner", "负责人", "销售", "销售员", "业务员", "归属人"],
    },
    Field { name: "notes", required: false, aliases: &["notes", "note", "remarks", "comment", "备注", "说明"] },
];

const CONTACT_FIELDS: &[Field] = &[
    Field {
        name: "customer",
        required: true,
        aliases: &[
            "customer",
            "customername",
            "company",
            "companyname",
            "account",
            "客户",
            "客户名称",
            "公司",
            "公司名称",
            "单位名称",
        ],
    },
    Field {
        name: "name",
        required: true,
        aliases: &["name", "contact", "contactname", "fullname", "联系人", "联系人姓名", "姓名", "名字"],
    },
    Field { name: "title", required: false, aliases: &["title", "jobtitle", "position", "职务", "职位", "岗位"] },
    Field {
        name: "phone",
        required: false,
        aliases: &["phone", "tel", "telephone", "officephone", "电话", "座机", "固定电话", "办公电话"],
    },
    Field {
        name: "mobile",
        required: false,
        aliases: &["mobile", "cell", "cellphone", "手机", "手机号", "手机号码", "移动电话"],
    },
    Field {
        name: "email",
        required: false,
        aliases: &["email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件", "邮件"],
    },
    Field { name: "role", required: false, aliases: &["role", "角色", "关系", "联系人角色"] },
    Field { name: "notes", required: false, aliases: &["notes", "note", "remarks", "comment", "备注", "说明"] },
];

const LEAD_FIELDS: &[Field] = &[
    Field {
        name: "name",
        required: true,
        aliases: &["name", "fullname", "contact", "contactname", "姓名", "联系人", "联系人姓名", "名字"],
    },
    Field {
        name: "company",
        required: false,
        aliases: &["company", "companyname", "organization", "公司", "公司名称", "单位", "单位名称", "企业名称"],
    },
    Field { name: "title", required: false, aliases: &["title", "jobtitle", "position", "职务", "职位", "岗位"] },
    Field {
        name: "mobile",
        required: false,
        aliases: &["mobile", "cell", "cellphone", "手机", "手机号", "手机号码", "移动电话"],
    },
    Field {
        name: "phone",
        required: false,
        aliases: &["phone", "tel", "telephone", "officephone", "电话", "座机", "固定电话", "办公电话"],
    },
    Field {
        name: "email",
        required: false,
        aliases: &["email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件", "邮件"],
    },
    Field { name: "province", required: false, aliases: &["province", "state", "region", "省份", "省", "地区"] },
    Field { name: "city", required: false, aliases: &["city", "城市", "市"] },
    Field {
        name: "source",
        required: false,
        aliases: &["source", "channel", "leadsource", "来源", "来源渠道", "渠道", "线索来源"],
    },
    Field { name: "campaign", required: false, aliases: &["campaign", "活动", "营销活动", "市场活动"] },
    Field {
        name: "intention", required: false, aliases: &["intention", "interest", "意向", "意向程度", "意向等级"]
    },
    Field { name: "status", required: false, aliases: &["status", "state", "状态", "线索状态"] },
    Field {
        name: "disqualify_reason", required: false, aliases: &["disqualifyreason", "reason", "无效原因", "原因"]
    },
    Field {
        name: "owner",
        required: false,
        aliases: &["owner", "salesperson", "salesrep", "leadowner", "负责人", "销售", "销售员", "业务员", "归属人"],
    },
    Field { name: "notes", required: false, aliases: &["notes", "note", "remarks", "comment", "备注", "说明"] },
];

/// The header as compared with aliases: lower-case, no spaces, `_`, `-`,
/// `*` (a required mark) or brackets.
pub fn header_key(header: &str) -> String {
    header
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '*' | '(' | ')' | '（' | '）' | ':' | '：'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a column header most likely means, if any.
pub fn guess_field(target: Target, header: &str) -> Option<&'static str> {
    let key = header_key(header);
    if key.is_empty() {
        return None;
    }
    target.fields().iter().find(|f| f.aliases.iter().any(|a| header_key(a) == key)).map(|f| f.name)
}

/// Guesses a mapping for a row of headers: each field at most once, the
/// first column that means it wins. `None` for a column left unmapped.
pub fn guess_mapping(target: Target, headers: &[String]) -> Vec<Option<&'static str>> {
    let mut taken: Vec<&'static str> = Vec::new();
    headers
        .iter()
        .map(|h| {
            let field = guess_field(target, h).filter(|f| !taken.contains(f))?;
            taken.push(field);
            Some(field)
        })
        .collect()
}

/// A contact role as people write it in a sheet: the code, or its Chinese
/// or English name. Blank is `other`.
pub fn parse_role(text: &str) -> Option<ContactRole> {
    let key = header_key(text);
    if key.is_empty() {
        return Some(ContactRole::Other);
    }
    if let Some(role) = ContactRole::parse(&key) {
        return Some(role);
    }
    let role = match key.as_str() {
        "经手人" | "经办人" => ContactRole::Handler,
        "决策人" | "决策者" | "decisionmaker" => ContactRole::DecisionMaker,
        "评估人" | "评估者" => ContactRole::Evaluator,
        "支持者" | "教练" | "支持者/教练" | "coach" => ContactRole::Supporter,
        "高层" | "高管" => ContactRole::Executive,
        "其他" | "其它" => ContactRole::Other,
        _ => return None,
    };
    Some(role)
}

/// An intention as people write it: the code, or 高/中/低. Blank is not
/// assessed (`Some(None)`); `None` when unknown.
pub fn parse_intention(text: &str) -> Option<Option<Intention>> {
    let key = header_key(text);
    if key.is_empty() {
        return Some(None);
    }
    let intention = match key.as_str() {
        "高" | "强" | "high" => Intention::High,
        "中" | "一般" | "medium" => Intention::Medium,
        "低" | "弱" | "low" => Intention::Low,
        _ => return None,
    };
    Some(Some(intention))
}

/// A lead status as people write it: the code, or its Chinese name. Blank
/// is `new`.
pub fn parse_lead_status(text: &str) -> Option<LeadStatus> {
    let key = header_key(text);
    if key.is_empty() {
        return Some(LeadStatus::New);
    }
    if let Some(status) = LeadStatus::parse(&key) {
        return Some(status);
    }
    let status = match key.as_str() {
        "新线索" | "新建" | "新" => LeadStatus::New,
        "已联系" | "联系中" => LeadStatus::Contacted,
        "已确认" | "合格" | "有效" => LeadStatus::Qualified,
        "无效" | "不合格" | "已放弃" => LeadStatus::Disqualified,
        _ => return None,
    };
    Some(status)
}

/// What happens to a row that matches an existing record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateMode {
    /// Leave the existing record alone; the row is counted as skipped.
    Skip,
    /// Copy the row's non-blank cells over the existing record's fields.
    Merge,
}

impl DuplicateMode {
    pub fn code(self) -> &'static str {
        match self {
            DuplicateMode::Skip => "skip",
            DuplicateMode::Merge => "merge",
        }
    }

    pub fn parse(code: &str) -> Option<DuplicateMode> {
        match code.trim() {
            "skip" => Some(DuplicateMode::Skip),
            "merge" => Some(DuplicateMode::Merge),
            _ => None,
        }
    }
}

/// An import job's state. `Draft`: uploaded, waiting for its mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Draft, Status::Queued, Status::Running, Status::Done, Status::Failed, Status::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Queued or running: may still change, may be cancelled.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Queued | Status::Running)
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Status::Done | Status::Failed | Status::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn chinese_and_english_headers_are_guessed() {
        assert_eq!(guess_field(Target::Customers, "客户名称"), Some("name"));
        assert_eq!(guess_field(Target::Customers, " 公司名称* "), Some("name"));
        assert_eq!(guess_field(Target::Customers, "Company Name"), Some("name"));
        assert_eq!(guess_field(Target::Customers, "Credit_Limit"), Some("credit_limit"));
        assert_eq!(guess_field(Target::Customers, "负责人"), Some("owner"));
        assert_eq!(guess_field(Target::Customers, "电话"), Some("phone"), "a customer's phone is no longer dropped");
        assert_eq!(guess_field(Target::Customers, "统一社会信用代码"), Some("credit_code"));
        assert_eq!(guess_field(Target::Customers, "网址"), Some("website"));
        assert_eq!(guess_field(Target::Contacts, "手机"), Some("mobile"));
        assert_eq!(guess_field(Target::Contacts, "Mobile"), Some("mobile"));
        assert_eq!(guess_field(Target::Contacts, "E-mail"), Some("email"));
        assert_eq!(guess_field(Target::Contacts, "客户名称"), Some("customer"));
        assert_eq!(guess_field(Target::Customers, "颜色"), None);
        assert_eq!(guess_field(Target::Customers, "  "), None);
    }

    #[test]
    fn a_field_is_guessed_once() {
        let mapping = guess_mapping(Target::Customers, &headers(&["客户名称", "公司名称", "等级", "无关"]));
        assert_eq!(mapping, vec![Some("name"), None, Some("grade"), None]);
    }

    #[test]
    fn roles_in_either_language() {
        assert_eq!(parse_role("决策人"), Some(ContactRole::DecisionMaker));
        assert_eq!(parse_role("decision_maker"), Some(ContactRole::DecisionMaker));
        assert_eq!(parse_role("Decision Maker"), Some(ContactRole::DecisionMaker));
        assert_eq!(parse_role(""), Some(ContactRole::Other));
        assert_eq!(parse_role("老板"), None);
    }

    #[test]
    fn lead_headers_and_values_in_either_language() {
        let mapping = guess_mapping(
            Target::Leads,
            &headers(&["姓名", "公司名称", "职务", "手机", "电话", "邮箱", "营销活动", "意向程度", "状态", "负责人"]),
        );
        let expected =
            ["name", "company", "title", "mobile", "phone", "email", "campaign", "intention", "status", "owner"];
        assert_eq!(mapping, expected.map(Some).to_vec());
        assert_eq!(guess_field(Target::Leads, "联系人"), Some("name"));
        assert_eq!(guess_field(Target::Leads, "Company"), Some("company"));
        assert_eq!(guess_field(Target::Leads, "活动"), Some("campaign"));
        assert_eq!(parse_intention("高"), Some(Some(Intention::High)));
        assert_eq!(parse_intention(" Medium "), Some(Some(Intention::Medium)));
        assert_eq!(parse_intention(""), Some(None));
        assert_eq!(parse_intention("很想买"), None);
        assert_eq!(parse_lead_status("已联系"), Some(LeadStatus::Contacted));
        assert_eq!(parse_lead_status("无效"), Some(LeadStatus::Disqualified));
        assert_eq!(parse_lead_status("qualified"), Some(LeadStatus::Qualified));
        assert_eq!(parse_lead_status(""), Some(LeadStatus::New));
        assert_eq!(parse_lead_status("赢单"), None);
    }

    #[test]
    fn codes_round_trip() {
        for t in Target::ALL {
            assert_eq!(Target::parse(t.code()), Some(t));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
        assert_eq!(DuplicateMode::parse("merge"), Some(DuplicateMode::Merge));
        assert_eq!(DuplicateMode::parse("replace"), None);
        assert!(Status::Running.is_active() && !Status::Done.is_active());
    }
}
