//! The two pipelines every installation starts with, in the seed's own
//! Chinese words with English translations, and the usual lost reasons.

use super::ItemKind;

/// A checklist entry of a shipped stage.
#[derive(Debug, Clone, Copy)]
pub struct ItemTemplate {
    pub kind: ItemKind,
    pub text: &'static str,
    pub text_en: &'static str,
    pub required: bool,
}

/// A shipped stage: `(Chinese, English)` for every text.
#[derive(Debug, Clone)]
pub struct StageTemplate {
    pub code: &'static str,
    pub name: (&'static str, &'static str),
    pub probability: i32,
    pub expected_days: Option<i32>,
    pub success_criteria: (&'static str, &'static str),
    pub milestone: (&'static str, &'static str),
    pub input: (&'static str, &'static str),
    pub output: (&'static str, &'static str),
    pub items: Vec<ItemTemplate>,
}

/// A shipped pipeline.
#[derive(Debug, Clone)]
pub struct PipelineTemplate {
    /// Stable code, so that installing twice does nothing.
    pub code: &'static str,
    pub name: (&'static str, &'static str),
    pub stages: Vec<StageTemplate>,
}

/// A task to do (任务清单).
const fn task(text: &'static str, text_en: &'static str, required: bool) -> ItemTemplate {
    ItemTemplate { kind: ItemKind::Task, text, text_en, required }
}

/// A condition that must hold (符合条件).
const fn condition(text: &'static str, text_en: &'static str, required: bool) -> ItemTemplate {
    ItemTemplate { kind: ItemKind::Condition, text, text_en, required }
}

/// The 销售漏斗 (8 stages) and 项目型销售 (7 stages) pipelines.
pub fn templates() -> Vec<PipelineTemplate> {
    vec![funnel(), project()]
}

/// Lost reasons every installation starts with: `(Chinese, English)`.
pub fn lost_reasons() -> Vec<(&'static str, &'static str)> {
    vec![
        ("价格没有竞争力", "Price not competitive"),
        ("输给竞争对手", "Lost to a competitor"),
        ("项目取消或预算取消", "Project or budget cancelled"),
        ("需求不匹配", "Requirements not met"),
        ("客户无回应", "No response from the customer"),
        ("关系不到位", "Relationship not strong enough"),
        ("其他", "Other"),
    ]
}

// The outputs of the funnel's stages; each is the next stage's input.
const G_OUT: (&str, &str) =
    ("客户经手人士给予上门拜访明确的承诺", "The customer's contact in charge has firmly agreed to an on-site visit");
const F_OUT: (&str, &str) = (
    "客户经手人士期望销售顾问提交初步方案",
    "The customer's contact in charge expects the sales consultant to submit a preliminary proposal",
);
const E_OUT: (&str, &str) = ("给予承诺进行技术交流", "Commitment to a technical exchange");
const D_OUT: (&str, &str) = (
    "透过技术交流至少让客户内部的关键人物成为支持者",
    "Through technical exchanges, at least the key people inside the customer have become supporters",
);
const C_OUT: (&str, &str) = (
    "使需求更符合客户的想法，发展更多的支持者，特别重要的是高层或项目评估负责人",
    "The requirements match the customer's thinking more closely and more supporters are won, above all senior \
     management or the head of the project evaluation",
);
const B_OUT: (&str, &str) =
    ("使项目评估已经有了明确的倾向性态度", "The project evaluation has clearly come to lean towards us");
const A_OUT: (&str, &str) =
    ("双方确认合同文本，客户同意签约", "Both sides have confirmed the contract text and the customer agrees to sign");
const S_OUT: (&str, &str) =
    ("合同生效，项目移交交付团队", "The contract is in force and the project is handed over to delivery");

/// 销售漏斗: the seed's eight stages G to S, with the checklists of its
/// stage sections (客户规划与电话邀约 … 项目评估); A and S are written in the
/// same spirit.
fn funnel() -> PipelineTemplate {
    PipelineTemplate {
        code: "funnel",
        name: ("销售漏斗", "Sales funnel"),
        stages: vec![
            StageTemplate {
                code: "G",
                name: ("电话邀约", "Phone invitation"),
                probability: 10,
                expected_days: Some(7),
                success_criteria: (
                    "透过电话，已经与经手人士确认好具体时间、地点等，为拜访做积极的准备。",
                    "By phone, the time, place and other details of the visit have been confirmed with the contact \
                     in charge, and the visit is being actively prepared.",
                ),
                milestone: ("有兴趣", "Customer interested"),
                input: ("A类的客户名单", "List of class A customers"),
                output: G_OUT,
                items: vec![
                    condition(
                        "已经符合目标客户的选择标准",
                        "The customer meets the selection criteria for target customers",
                        true,
                    ),
                    condition("对方至少是经手人士", "The person reached is at least the contact in charge", true),
                    condition(
                        "客户对项目比较有兴趣了解，而且一定会慎重考虑",
                        "The customer is fairly interested in learning about the project and will consider it \
                         seriously",
                        false,
                    ),
                    task(
                        "已经与经手人士确认好具体时间、地点等",
                        "Confirm the time, place and other details of the visit with the contact in charge",
                        true,
                    ),
                    condition(
                        "对方比较积极，而非强迫性的互动行为",
                        "The other party engages willingly, not under pressure",
                        false,
                    ),
                ],
            },
            StageTemplate {
                code: "F",
                name: ("上门拜访", "On-site visit"),
                probability: 20,
                expected_days: Some(14),
                success_criteria: (
                    "透过拜访建立初步客户关系，使双方都有建设性的意向，同时，客户提及初步方案，准备向相关部门进行汇报。",
                    "Through the visit, an initial relationship with the customer is built and both sides have \
                     constructive intentions; the customer also brings up a preliminary proposal and is preparing to \
                     report to the departments concerned.",
                ),
                milestone: ("找对经手人士", "Right contact in charge found"),
                input: G_OUT,
                output: F_OUT,
                items: vec![
                    task("找对合格的经手人士", "Find the right, qualified contact in charge", true),
                    task(
                        "推荐公司在技术能力方面的优势",
                        "Present the company's strengths in technical capability",
                        false,
                    ),
                    task(
                        "明确客户内部的采购流程，特别是可能的项目负责人",
                        "Clarify the customer's internal purchasing process, especially who is likely to lead the \
                         project",
                        true,
                    ),
                    task(
                        "建立并发展与经手人士的关系",
                        "Build and develop the relationship with the contact in charge",
                        false,
                    ),
                    condition(
                        "双方达成共识，可以提交初步方案",
                        "Both sides agree that a preliminary proposal can be submitted",
                        true,
                    ),
                ],
            },
            StageTemplate {
                code: "E",
                name: ("方案设计", "Solution design"),
                probability: 25,
                expected_days: Some(21),
                success_criteria: (
                    "透过初步部门的访谈，深入并扩大客户关系，使更多的人认同目前的方案，同时经手人士给予积极的评价，承诺进行技术交流。",
                    "Through initial interviews in the department, the customer relationship is deepened and \
                     widened so that more people accept the current proposal; the contact in charge gives positive \
                     feedback and commits to a technical exchange.",
                ),
                milestone: ("客户化的初步方案", "Customized preliminary proposal"),
                input: F_OUT,
                output: E_OUT,
                items: vec![
                    task(
                        "至少与经手人士的部门有针对性进行访谈",
                        "Hold targeted interviews with at least the department of the contact in charge",
                        true,
                    ),
                    task(
                        "提供简单客户化的方案是结合访谈内容的",
                        "Provide a simple customized proposal that builds on what the interviews revealed",
                        true,
                    ),
                    task(
                        "利用沟通至少要影响本部门的经手人，方案使其满意",
                        "Through communication, win over at least the contact in charge in that department so that \
                         they are satisfied with the proposal",
                        true,
                    ),
                    task(
                        "发展与经手人士的关系（SPY），深入并扩大其他人的客户关系",
                        "Develop the relationship with the contact in charge (SPY, an inside source) and deepen and \
                         widen relationships with other people at the customer",
                        false,
                    ),
                    condition(
                        "如涉及价格一定是粗放性的或经过调研后提供实际报价",
                        "If price comes up, it is only a rough figure, or a real quotation given after research",
                        false,
                    ),
                    condition(
                        "在一段时间内，客户领导及其他部门对方案表示认可，承诺进行后续交流",
                        "Within a reasonable time, the customer's leaders and other departments endorse the proposal \
                         and commit to further exchanges",
                        true,
                    ),
                ],
            },
            StageTemplate {
                code: "D",
                name: ("业绩展示", "Track record / demonstration"),
                probability: 30,
                expected_days: Some(14),
                success_criteria: (
                    "透过方案演示、技术交流和业绩展示，使客户认可我方的技术能力和成功经验，至少让客户内部的关键人物成为支持者。",
                    "Through proposal demonstrations, technical exchanges and our track record, the customer \
                     recognizes our technical capability and experience, and at least the key people inside the \
                     customer become supporters.",
                ),
                milestone: ("技术交流与业绩认可", "Technical exchange held and track record recognized"),
                input: E_OUT,
                output: D_OUT,
                items: vec![
                    task(
                        "与客户确认技术交流的时间、参加人员和议题",
                        "Agree the date, attendees and agenda of the technical exchange with the customer",
                        false,
                    ),
                    task(
                        "针对客户需求进行方案演示与技术交流",
                        "Demonstrate the proposal and hold a technical exchange focused on the customer's needs",
                        true,
                    ),
                    task(
                        "展示同行业的成功案例和业绩，必要时安排参观考察",
                        "Show successful cases and references in the same industry, with a site visit if needed",
                        false,
                    ),
                    task(
                        "解答客户提出的技术问题，记录新发现的需求",
                        "Answer the customer's technical questions and record newly found needs",
                        false,
                    ),
                    condition(
                        "客户内部至少有一位关键人物成为支持者",
                        "At least one key person inside the customer has become a supporter",
                        true,
                    ),
                ],
            },
            StageTemplate {
                code: "C",
                name: ("方案确认", "Solution confirmation"),
                probability: 50,
                expected_days: Some(21),
                success_criteria: (
                    "透过跨部门的沟通与需求分析，制定有偏向性的方案，同时体现的内容符合项目评估的标准。",
                    "Through cross-department communication and needs analysis, a proposal that favours us is drawn \
                     up, and its content meets the project evaluation criteria.",
                ),
                milestone: ("框架性需求调研与正式方案设定", "Framework needs survey done and formal proposal set"),
                input: D_OUT,
                output: C_OUT,
                items: vec![
                    task(
                        "扩大了解需求的部门及对象，使方案比较有针对性",
                        "Widen the departments and people whose needs are gathered, so that the proposal is well \
                         targeted",
                        true,
                    ),
                    condition(
                        "方案一定要符合未来项目评估的标准",
                        "The proposal meets the criteria of the coming project evaluation",
                        true,
                    ),
                    task(
                        "引导需求，发现问题，使方案有偏向性",
                        "Guide the needs and uncover problems so that the proposal favours us",
                        true,
                    ),
                    task(
                        "借此使销售顾问扩大与其他部门之间的沟通，融洽客户关系，力争建立更多的支持者",
                        "Use this to widen the sales consultant's communication with other departments, improve the \
                         relationship and win more supporters",
                        false,
                    ),
                    task(
                        "力争找到高层或项目评估负责人来建立关系，了解需求",
                        "Strive to reach senior management or the head of the project evaluation, build a \
                         relationship and learn their needs",
                        false,
                    ),
                ],
            },
            StageTemplate {
                code: "B",
                name: ("项目评估", "Project evaluation"),
                probability: 75,
                expected_days: Some(30),
                success_criteria: (
                    "透过项目评估，使优势更明显，而且符合项目评估小组的标准，并且明确项目评估小组对我方的倾向性态度。",
                    "Through the project evaluation, our advantages become clearer and meet the evaluation team's \
                     criteria, and it is clear that the evaluation team leans towards us.",
                ),
                milestone: ("项目评估", "Project evaluation"),
                input: C_OUT,
                output: B_OUT,
                items: vec![
                    task(
                        "明确招标已经入围，能够帮助客户建立技术参数及指标等最好",
                        "Make sure we are shortlisted in the tender; ideally help the customer set the technical \
                         parameters and specifications",
                        true,
                    ),
                    task(
                        "了解项目评估小组的成员、分工和评估标准",
                        "Learn the members, roles and criteria of the evaluation team",
                        false,
                    ),
                    task(
                        "针对评估标准突出我方优势，回应竞争对手的挑战",
                        "Stress our strengths against the evaluation criteria and answer competitors' challenges",
                        false,
                    ),
                    condition(
                        "项目评估小组对我方有明确的倾向性态度",
                        "The evaluation team clearly leans towards us",
                        true,
                    ),
                ],
            },
            StageTemplate {
                code: "A",
                name: ("商务谈判", "Commercial negotiation"),
                probability: 90,
                expected_days: Some(21),
                success_criteria: (
                    "与客户就价格、付款方式、交货期和服务条款达成一致，决策人已经批准，合同草案经双方审核。",
                    "Price, payment terms, delivery time and service terms are agreed with the customer, the \
                     decision maker has approved, and both sides have reviewed the draft contract.",
                ),
                milestone: ("商务条款达成一致", "Commercial terms agreed"),
                input: B_OUT,
                output: A_OUT,
                items: vec![
                    task(
                        "明确客户的决策人和剩余的审批环节",
                        "Identify the customer's decision maker and the approval steps still ahead",
                        false,
                    ),
                    task(
                        "提交正式报价，就价格和付款方式达成一致",
                        "Submit the formal quotation and agree on price and payment terms",
                        true,
                    ),
                    task(
                        "就交货期、验收标准和售后服务条款达成一致",
                        "Agree on delivery time, acceptance criteria and after-sales service terms",
                        false,
                    ),
                    condition(
                        "客户决策人已经批准采购",
                        "The customer's decision maker has approved the purchase",
                        true,
                    ),
                    condition("合同草案已经双方审核", "Both sides have reviewed the draft contract", true),
                ],
            },
            StageTemplate {
                code: "S",
                name: ("签约成交", "Contract signed"),
                probability: 100,
                expected_days: Some(7),
                success_criteria: (
                    "合同已经双方签字盖章，首付款的金额和时间已经明确，项目顺利移交给交付团队。",
                    "The contract is signed and stamped by both sides, the amount and date of the first payment are \
                     set, and the project is handed over smoothly to the delivery team.",
                ),
                milestone: ("签约成交", "Contract signed"),
                input: A_OUT,
                output: S_OUT,
                items: vec![
                    condition("合同已经双方签字盖章", "The contract is signed and stamped by both sides", true),
                    task(
                        "明确首付款的金额、时间和开票要求",
                        "Set the amount, date and invoicing requirements of the first payment",
                        true,
                    ),
                    task(
                        "召开内部移交会，把客户需求、承诺和联系人交给交付团队",
                        "Hold an internal hand-over meeting to pass the customer's needs, commitments and contacts to \
                         the delivery team",
                        false,
                    ),
                    task(
                        "感谢客户并确认后续的沟通对象",
                        "Thank the customer and confirm who to deal with from now on",
                        false,
                    ),
                ],
            },
        ],
    }
}

// The outputs of the project-sales stages; each is the next stage's input.
const P1_OUT: (&str, &str) = (
    "确认项目真实、值得跟进，并已登记和指定负责人",
    "A real project worth pursuing, registered and assigned to a salesperson",
);
const P2_OUT: (&str, &str) = (
    "客户的决策链和采购流程清晰，关键人物愿意进一步交流",
    "The customer's decision chain and purchasing process are clear and the key people are willing to talk further",
);
const P3_OUT: (&str, &str) = (
    "技术部门认可我方的能力，技术评估人员中有支持者",
    "The technical department recognizes our capability and we have supporters among the technical evaluators",
);
const P4_OUT: (&str, &str) = (
    "正式方案通过技术评估，我方在技术上处于领先",
    "The formal proposal has passed the technical evaluation with us in the lead",
);
const P5_OUT: (&str, &str) =
    ("我方被确定为首选供应商或已经中标", "We have been chosen as the preferred supplier or have won the tender");
const P6_OUT: (&str, &str) = ("合同已经签订，付款条件明确", "The contract is signed and the payment terms are clear");
const P7_OUT: (&str, &str) =
    ("项目验收合格，货款回收，客户满意", "The project is accepted, payment is collected and the customer is satisfied");

/// 项目型销售: seven stages from initiation to execution, following the
/// seed's method 找对人、说对话、做对事 (find the decision chain, win the
/// technical evaluators, then the business terms).
fn project() -> PipelineTemplate {
    PipelineTemplate {
        code: "project",
        name: ("项目型销售", "Project sales"),
        stages: vec![
            StageTemplate {
                code: "P1",
                name: ("项目立项", "Project initiation"),
                probability: 5,
                expected_days: Some(30),
                success_criteria: (
                    "确认客户已经立项或有明确的立项计划，了解项目的背景、预算和时间表，判断项目值得跟进。",
                    "It is confirmed that the customer has approved the project or has a clear plan to, its \
                     background, budget and timetable are known, and the project is judged worth pursuing.",
                ),
                milestone: ("项目信息确认", "Project information confirmed"),
                input: ("项目线索或客户的采购意向", "A project lead or a customer's intention to buy"),
                output: P1_OUT,
                items: vec![
                    condition(
                        "客户已经立项或有明确的立项计划",
                        "The customer has approved the project or has a clear plan to",
                        true,
                    ),
                    task(
                        "了解项目的背景、预算范围和时间表",
                        "Learn the project's background, budget range and timetable",
                        true,
                    ),
                    condition(
                        "项目符合公司的目标客户和产品方向",
                        "The project fits the company's target customers and product lines",
                        true,
                    ),
                    task("初步了解参与竞争的对手", "Find out which competitors are involved", false),
                    task(
                        "在系统中登记项目并指定负责人",
                        "Register the project in the system and assign an owner",
                        false,
                    ),
                ],
            },
            StageTemplate {
                code: "P2",
                name: ("深度接触", "In-depth engagement"),
                probability: 10,
                expected_days: Some(45),
                success_criteria: (
                    "找对人：理清客户的组织结构和决策链，与经手人士和关键人物建立联系，了解各自的关注点。",
                    "Find the right people: the customer's organization and decision chain are mapped, contact is \
                     made with the contact in charge and the key people, and each one's concerns are known.",
                ),
                milestone: ("决策链清晰", "Decision chain mapped"),
                input: P1_OUT,
                output: P2_OUT,
                items: vec![
                    task(
                        "画出客户的组织结构图和决策链，明确决策者、评估者、使用者和经手人士",
                        "Draw the customer's organization chart and decision chain: decision makers, evaluators, \
                         users and the contact in charge",
                        true,
                    ),
                    task(
                        "明确客户的采购流程和时间节点",
                        "Clarify the customer's purchasing process and its milestones",
                        true,
                    ),
                    task(
                        "与经手人士建立信任，发展内部支持者",
                        "Build trust with the contact in charge and develop an inside supporter",
                        false,
                    ),
                    condition(
                        "已经与至少一位关键人物当面沟通",
                        "We have met at least one key person face to face",
                        true,
                    ),
                    task(
                        "了解每个关键人物的关注点和对项目的态度",
                        "Learn each key person's concerns and attitude to the project",
                        false,
                    ),
                ],
            },
            StageTemplate {
                code: "P3",
                name: ("技术突破1", "Technical breakthrough 1"),
                probability: 25,
                expected_days: Some(45),
                success_criteria: (
                    "说对话：针对客户需求进行技术交流和方案演示，使技术部门认可我方的能力，技术评估人员中有支持者。",
                    "Say the right things: technical exchanges and demonstrations address the customer's needs, the \
                     technical department recognizes our capability, and we have supporters among the technical \
                     evaluators.",
                ),
                milestone: ("技术认可", "Technical recognition"),
                input: P2_OUT,
                output: P3_OUT,
                items: vec![
                    task(
                        "完成需求调研，明确客户的技术要求和痛点",
                        "Complete the needs survey and pin down the customer's technical requirements and pain points",
                        true,
                    ),
                    task(
                        "组织技术交流或方案演示，展示同行业的成功案例",
                        "Hold a technical exchange or demonstration and show successful cases in the same industry",
                        true,
                    ),
                    task("提交客户化的初步方案", "Submit a customized preliminary proposal", false),
                    condition("技术评估人员中至少有一位支持者", "At least one technical evaluator supports us", true),
                ],
            },
            StageTemplate {
                code: "P4",
                name: ("技术突破2", "Technical breakthrough 2"),
                probability: 50,
                expected_days: Some(60),
                success_criteria: (
                    "做对事：引导客户把我方的优势写入技术参数和评估标准，正式方案通过技术评估，我方在技术上领先。",
                    "Do the right things: the customer is guided to write our strengths into the technical \
                     parameters and evaluation criteria, and the formal proposal passes the technical evaluation \
                     with us in the lead.",
                ),
                milestone: ("技术评估通过", "Technical evaluation passed"),
                input: P3_OUT,
                output: P4_OUT,
                items: vec![
                    task(
                        "协助客户确定技术参数和评估标准，突出我方优势",
                        "Help the customer set the technical parameters and evaluation criteria, stressing our \
                         strengths",
                        true,
                    ),
                    task(
                        "提交正式方案并答复技术澄清",
                        "Submit the formal proposal and answer technical clarifications",
                        true,
                    ),
                    task("必要时安排样板工程参观或测试", "Arrange a reference site visit or a test if needed", false),
                    task(
                        "掌握竞争对手的方案和报价策略",
                        "Find out the competitors' proposals and pricing strategy",
                        false,
                    ),
                    condition(
                        "正式方案通过技术评估，技术评估人员倾向于我方",
                        "The formal proposal has passed the technical evaluation and the evaluators favour us",
                        true,
                    ),
                ],
            },
            StageTemplate {
                code: "P5",
                name: ("商务突破", "Commercial breakthrough"),
                probability: 75,
                expected_days: Some(45),
                success_criteria: (
                    "与高层决策者建立信任，报价和商务条款得到认可，在招标或商务评估中确定我方为首选供应商。",
                    "Trust is built with the senior decision makers, our quotation and business terms are accepted, \
                     and we are chosen as the preferred supplier in the tender or commercial evaluation.",
                ),
                milestone: ("首选供应商", "Preferred supplier"),
                input: P4_OUT,
                output: P5_OUT,
                items: vec![
                    task(
                        "拜访高层决策者，了解其对项目的期望和顾虑",
                        "Visit the senior decision makers and learn their expectations and concerns",
                        true,
                    ),
                    task(
                        "提交正式报价，制定价格和商务谈判策略",
                        "Submit the formal quotation and set the pricing and negotiation strategy",
                        true,
                    ),
                    task("按要求完成投标或商务评估", "Complete the bid or commercial evaluation as required", false),
                    condition(
                        "我方被确定为首选供应商或已经中标",
                        "We have been chosen as the preferred supplier or have won the tender",
                        true,
                    ),
                ],
            },
            StageTemplate {
                code: "P6",
                name: ("合同签订", "Contract signing"),
                probability: 95,
                expected_days: Some(30),
                success_criteria: (
                    "就合同条款达成一致，合同经双方审核并签字盖章，付款条件明确。",
                    "The contract terms are agreed, the contract is reviewed, signed and stamped by both sides, and \
                     the payment terms are clear.",
                ),
                milestone: ("合同签订", "Contract signed"),
                input: P5_OUT,
                output: P6_OUT,
                items: vec![
                    task(
                        "就价格、付款方式、交货期和验收标准谈妥合同条款",
                        "Negotiate the contract terms: price, payment, delivery time and acceptance criteria",
                        true,
                    ),
                    condition(
                        "合同通过公司内部的法务和财务审核",
                        "The contract has passed the company's internal legal and finance review",
                        false,
                    ),
                    condition("合同已经双方签字盖章", "The contract is signed and stamped by both sides", true),
                    task("明确首付款的金额和时间", "Set the amount and date of the first payment", false),
                ],
            },
            StageTemplate {
                code: "P7",
                name: ("合同执行", "Contract execution"),
                probability: 100,
                expected_days: Some(90),
                success_criteria: (
                    "项目顺利交付并通过验收，按合同节点回款，客户满意，为后续合作和转介绍打好基础。",
                    "The project is delivered and accepted, payments arrive on the contract's schedule and the \
                     customer is satisfied, laying the ground for further business and referrals.",
                ),
                milestone: ("验收与回款", "Acceptance and payment"),
                input: P6_OUT,
                output: P7_OUT,
                items: vec![
                    task(
                        "召开项目移交会，把客户需求和承诺交给交付团队",
                        "Hold a hand-over meeting to pass the customer's needs and commitments to the delivery team",
                        true,
                    ),
                    task(
                        "跟进交付进度，及时处理客户的问题",
                        "Follow delivery progress and resolve customer issues promptly",
                        false,
                    ),
                    condition("客户已经签署验收报告", "The customer has signed the acceptance report", false),
                    task("按合同节点收回货款", "Collect payments on the contract's schedule", false),
                    task(
                        "回访客户，争取后续项目和转介绍",
                        "Follow up with the customer for further projects and referrals",
                        false,
                    ),
                ],
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn all_stages() -> Vec<StageTemplate> {
        templates().into_iter().flat_map(|p| p.stages).collect()
    }

    fn all_texts() -> Vec<(&'static str, &'static str)> {
        let mut texts = Vec::new();
        for p in templates() {
            texts.push(p.name);
            for s in p.stages {
                texts.extend([s.name, s.success_criteria, s.milestone, s.input, s.output]);
                texts.extend(s.items.iter().map(|i| (i.text, i.text_en)));
            }
        }
        texts.extend(lost_reasons());
        texts
    }

    fn pipeline(code: &str) -> PipelineTemplate {
        templates().into_iter().find(|p| p.code == code).expect("pipeline")
    }

    #[test]
    fn funnel_has_the_seed_stages() {
        let funnel = pipeline("funnel");
        assert_eq!(funnel.name, ("销售漏斗", "Sales funnel"));
        let codes: Vec<_> = funnel.stages.iter().map(|s| s.code).collect();
        assert_eq!(codes, ["G", "F", "E", "D", "C", "B", "A", "S"]);
        let probabilities: Vec<_> = funnel.stages.iter().map(|s| s.probability).collect();
        assert_eq!(probabilities, [10, 20, 25, 30, 50, 75, 90, 100]);
    }

    #[test]
    fn project_has_seven_stages() {
        let project = pipeline("project");
        assert_eq!(project.name, ("项目型销售", "Project sales"));
        let codes: Vec<_> = project.stages.iter().map(|s| s.code).collect();
        assert_eq!(codes, ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]);
        let probabilities: Vec<_> = project.stages.iter().map(|s| s.probability).collect();
        assert_eq!(probabilities, [5, 10, 25, 50, 75, 95, 100]);
        let names: Vec<_> = project.stages.iter().map(|s| s.name.0).collect();
        assert_eq!(names, ["项目立项", "深度接触", "技术突破1", "技术突破2", "商务突破", "合同签订", "合同执行"]);
    }

    #[test]
    fn pipeline_codes_are_unique() {
        let codes: BTreeSet<_> = templates().iter().map(|p| p.code).collect();
        assert_eq!(codes.len(), templates().len());
    }

    #[test]
    fn every_stage_has_a_required_item() {
        for s in all_stages() {
            assert!(s.items.iter().any(|i| i.required), "stage {} has no required item", s.code);
            assert!(s.items.len() >= 3, "stage {} has too few items", s.code);
        }
    }

    #[test]
    fn every_stage_has_expected_days() {
        for s in all_stages() {
            let days = s.expected_days.expect("expected days");
            assert!(days > 0 && days <= crate::pipelines::EXPECTED_DAYS_MAX, "stage {}", s.code);
        }
    }

    #[test]
    fn no_text_is_empty_or_too_long() {
        for (zh, en) in all_texts() {
            for text in [zh, en] {
                assert!(!text.trim().is_empty(), "empty text next to {zh:?}");
                assert_eq!(text, text.trim(), "surrounding spaces in {text:?}");
                assert!(text.chars().count() < 300, "too long: {text:?}");
                assert!(!text.contains("  "), "double space in {text:?}");
            }
        }
    }

    #[test]
    fn chinese_texts_use_chinese_punctuation() {
        for (zh, _) in all_texts() {
            assert!(!zh.contains([',', '.', ';', ':', '(', ')', ' ']), "ASCII punctuation in {zh:?}");
        }
    }

    #[test]
    fn each_input_is_the_previous_output() {
        for p in templates() {
            for pair in p.stages.windows(2) {
                assert_eq!(pair[1].input.0, pair[0].output.0, "{} input", pair[1].code);
                assert_eq!(pair[1].input.1, pair[0].output.1, "{} input_en", pair[1].code);
            }
        }
    }

    #[test]
    fn templates_pass_validation() {
        use crate::pipelines::{StageFields, check_item, check_stage};
        for s in all_stages() {
            let fields = StageFields {
                code: s.code,
                name: s.name.0,
                name_en: s.name.1,
                probability: s.probability,
                expected_days: s.expected_days,
                texts: [
                    ("success_criteria", s.success_criteria.0),
                    ("success_criteria_en", s.success_criteria.1),
                    ("milestone", s.milestone.0),
                    ("milestone_en", s.milestone.1),
                    ("input", s.input.0),
                    ("input_en", s.input.1),
                    ("output", s.output.0),
                    ("output_en", s.output.1),
                ],
            };
            assert!(check_stage(&fields).is_empty(), "stage {}", s.code);
            let mut invalid = crate::validation::Invalid::new();
            for i in &s.items {
                check_item(&mut invalid, "item", i.text, i.text_en);
            }
            assert!(invalid.is_empty(), "items of stage {}", s.code);
        }
    }

    #[test]
    fn lost_reasons_are_unique() {
        let reasons = lost_reasons();
        assert!(reasons.len() >= 5);
        let zh: BTreeSet<_> = reasons.iter().map(|r| r.0).collect();
        let en: BTreeSet<_> = reasons.iter().map(|r| r.1).collect();
        assert_eq!(zh.len(), reasons.len());
        assert_eq!(en.len(), reasons.len());
    }
}
