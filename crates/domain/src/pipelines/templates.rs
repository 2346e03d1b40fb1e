//! The two pipelines every installation starts with, in the seed's own
//! Chinese words with English translations, and the usual lost reasons.
//!
//! The texts are data: `templates.json` beside this file, embedded at build
//! time and read once. Every text there is a pair `{"zh-CN": …, "en": …}`;
//! each stage's `input` repeats the previous stage's `output` (a test
//! checks it).

use std::sync::LazyLock;

use serde::Deserialize;

use super::ItemKind;

/// The shipped templates, as written in `templates.json`.
const DATA: &str = include_str!("templates.json");

/// A text in Chinese and English.
#[derive(Debug, Clone, Deserialize)]
struct Pair {
    #[serde(rename = "zh-CN")]
    zh: String,
    en: String,
}

/// A checklist entry of a shipped stage.
#[derive(Debug, Clone)]
pub struct ItemTemplate {
    pub kind: ItemKind,
    pub text: String,
    pub text_en: String,
    pub required: bool,
}

/// A shipped stage: `(Chinese, English)` for every text.
#[derive(Debug, Clone)]
pub struct StageTemplate {
    pub code: String,
    pub name: (String, String),
    pub probability: i32,
    pub expected_days: Option<i32>,
    pub success_criteria: (String, String),
    pub milestone: (String, String),
    pub input: (String, String),
    pub output: (String, String),
    pub items: Vec<ItemTemplate>,
}

/// A shipped pipeline.
#[derive(Debug, Clone)]
pub struct PipelineTemplate {
    /// Stable code, so that installing twice does nothing.
    pub code: String,
    pub name: (String, String),
    pub stages: Vec<StageTemplate>,
}

/// The file's shape.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    pipelines: Vec<PipelineData>,
    lost_reasons: Vec<Pair>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineData {
    code: String,
    name: Pair,
    stages: Vec<StageData>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageData {
    code: String,
    name: Pair,
    probability: i32,
    expected_days: Option<i32>,
    success_criteria: Pair,
    milestone: Pair,
    input: Pair,
    output: Pair,
    items: Vec<ItemData>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemData {
    /// `task` (任务清单) or `condition` (符合条件).
    kind: ItemKind,
    text: Pair,
    required: bool,
}

impl From<Pair> for (String, String) {
    fn from(p: Pair) -> Self {
        (p.zh, p.en)
    }
}

/// What the file ships: the pipelines and the lost reasons.
struct Shipped {
    pipelines: Vec<PipelineTemplate>,
    lost_reasons: Vec<(String, String)>,
}

fn parse(data: &str) -> Result<Shipped, serde_json::Error> {
    let data: Data = serde_json::from_str(data)?;
    let pipelines = data
        .pipelines
        .into_iter()
        .map(|p| PipelineTemplate {
            code: p.code,
            name: p.name.into(),
            stages: p
                .stages
                .into_iter()
                .map(|s| StageTemplate {
                    code: s.code,
                    name: s.name.into(),
                    probability: s.probability,
                    expected_days: s.expected_days,
                    success_criteria: s.success_criteria.into(),
                    milestone: s.milestone.into(),
                    input: s.input.into(),
                    output: s.output.into(),
                    items: s
                        .items
                        .into_iter()
                        .map(|i| ItemTemplate {
                            kind: i.kind,
                            text: i.text.zh,
                            text_en: i.text.en,
                            required: i.required,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(Shipped { pipelines, lost_reasons: data.lost_reasons.into_iter().map(Into::into).collect() })
}

/// The embedded file, read once (a unit test proves it parses).
static SHIPPED: LazyLock<Shipped> =
    LazyLock::new(|| parse(DATA).expect("pipelines/templates.json parses (see the unit tests)"));

/// The 销售漏斗 (8 stages) and 项目型销售 (7 stages) pipelines.
pub fn templates() -> Vec<PipelineTemplate> {
    SHIPPED.pipelines.clone()
}

/// Lost reasons every installation starts with: `(Chinese, English)`.
pub fn lost_reasons() -> Vec<(String, String)> {
    SHIPPED.lost_reasons.clone()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn all_stages() -> Vec<StageTemplate> {
        templates().into_iter().flat_map(|p| p.stages).collect()
    }

    fn all_texts() -> Vec<(String, String)> {
        let mut texts = Vec::new();
        for p in templates() {
            texts.push(p.name);
            for s in p.stages {
                texts.extend([s.name, s.success_criteria, s.milestone, s.input, s.output]);
                texts.extend(s.items.into_iter().map(|i| (i.text, i.text_en)));
            }
        }
        texts.extend(lost_reasons());
        texts
    }

    fn pipeline(code: &str) -> PipelineTemplate {
        templates().into_iter().find(|p| p.code == code).expect("pipeline")
    }

    #[test]
    fn the_embedded_file_parses() {
        let shipped = parse(DATA).expect("templates.json");
        assert_eq!(shipped.pipelines.len(), 2);
        assert_eq!(shipped.pipelines.iter().map(|p| p.stages.len()).sum::<usize>(), 15);
        assert_eq!(shipped.lost_reasons.len(), 7);
        assert!(parse(r#"{"pipelines": [], "lost_reasons": [], "extra": 1}"#).is_err(), "unknown fields are refused");
    }

    #[test]
    fn stages_are_in_order_of_probability() {
        for p in templates() {
            let codes: BTreeSet<_> = p.stages.iter().map(|s| s.code.as_str()).collect();
            assert_eq!(codes.len(), p.stages.len(), "stage codes of {} are unique", p.code);
            for pair in p.stages.windows(2) {
                assert!(pair[0].probability < pair[1].probability, "{} before {}", pair[0].code, pair[1].code);
            }
            assert_eq!(p.stages.last().map(|s| s.probability), Some(100), "{} ends at 100 %", p.code);
            assert!(p.stages.iter().all(|s| (0..=100).contains(&s.probability)));
        }
    }

    #[test]
    fn funnel_has_the_seed_stages() {
        let funnel = pipeline("funnel");
        assert_eq!(funnel.name, ("销售漏斗".to_owned(), "Sales funnel".to_owned()));
        let codes: Vec<_> = funnel.stages.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["G", "F", "E", "D", "C", "B", "A", "S"]);
        let probabilities: Vec<_> = funnel.stages.iter().map(|s| s.probability).collect();
        assert_eq!(probabilities, [10, 20, 25, 30, 50, 75, 90, 100]);
    }

    #[test]
    fn project_has_seven_stages() {
        let project = pipeline("project");
        assert_eq!(project.name, ("项目型销售".to_owned(), "Project sales".to_owned()));
        let codes: Vec<_> = project.stages.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]);
        let probabilities: Vec<_> = project.stages.iter().map(|s| s.probability).collect();
        assert_eq!(probabilities, [5, 10, 25, 50, 75, 95, 100]);
        let names: Vec<_> = project.stages.iter().map(|s| s.name.0.as_str()).collect();
        assert_eq!(names, ["项目立项", "深度接触", "技术突破1", "技术突破2", "商务突破", "合同签订", "合同执行"]);
    }

    #[test]
    fn pipeline_codes_are_unique() {
        let codes: BTreeSet<_> = templates().into_iter().map(|p| p.code).collect();
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
            for text in [zh.as_str(), en.as_str()] {
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
                code: &s.code,
                name: &s.name.0,
                name_en: &s.name.1,
                probability: s.probability,
                expected_days: s.expected_days,
                texts: [
                    ("success_criteria", &s.success_criteria.0),
                    ("success_criteria_en", &s.success_criteria.1),
                    ("milestone", &s.milestone.0),
                    ("milestone_en", &s.milestone.1),
                    ("input", &s.input.0),
                    ("input_en", &s.input.1),
                    ("output", &s.output.0),
                    ("output_en", &s.output.1),
                ],
            };
            assert!(check_stage(&fields).is_empty(), "stage {}", s.code);
            let mut invalid = crate::validation::Invalid::new();
            for i in &s.items {
                check_item(&mut invalid, "item", &i.text, &i.text_en);
            }
            assert!(invalid.is_empty(), "items of stage {}", s.code);
        }
    }

    #[test]
    fn lost_reasons_are_unique() {
        let reasons = lost_reasons();
        assert!(reasons.len() >= 5);
        let zh: BTreeSet<_> = reasons.iter().map(|r| &r.0).collect();
        let en: BTreeSet<_> = reasons.iter().map(|r| &r.1).collect();
        assert_eq!(zh.len(), reasons.len());
        assert_eq!(en.len(), reasons.len());
    }
}
