//! 说明.txt, the note in every bundle for whoever opens it by hand: what is inside and how to
//! check it without shenhe, with the stock tool of the key's kind (ssh-keygen for Ed25519,
//! openssl for SM2).

use super::keys::{Algorithm, SigningKey, sm2};
use super::manifest::ReportLevel;
use super::report_text::ReportText;
use super::tables::Letterhead;
use super::upward::Reporter;

/// The note for whoever opens the bundle by hand.
pub const README: &str = "说明.txt";

/// 说明.txt: what is inside and how to check it, with or without shenhe. Chinese only: it is
/// read by the city's clerk, like the tables beside it.
pub(super) fn readme(h: &Letterhead, who: &Reporter, text: Option<&ReportText>, key: &SigningKey) -> String {
    let report_text = match text {
        Some(t) => format!("- {:<20} 本期月报文本（原文件名：{}）\n", t.entry(), t.name),
        None => "（本包未附月报文本：见 manifest.json 中 forced 的原因）\n".to_string(),
    };
    let area = format!("{}{}", h.city, h.county);
    let city = match who.level {
        ReportLevel::County => String::new(),
        ReportLevel::City => "- city_tables.xlsx     全市统计表（附件1 填报率、附件3 主动上报率、附件4 网络情况、附件5 半月调度表），按县区分行
             - counties/            各县区本期现行上报包，原样收录（逐个用 shenhe verify 或下面的方法核验（县区用 SM2 密钥时按 openssl 的方法）；
                                    县区的签名公钥由市州在 manifest.json 的 units 中列明；未上报的县区 report 为 null）
             以上 schools.csv 至 county_tables.xlsx 只含市州直属学校。
"
            .to_string(),
    };
    let code = &h.county_code;
    let (hash, signature_line, stock_check) = match key.algorithm() {
        Algorithm::Ed25519 => (
            "SHA-256",
            "- manifest.json.sig    对 manifest.json 的 OpenSSH 签名（SSHSIG，Ed25519，namespace 为 shenhe-bundle）"
                .to_string(),
            format!(
                "2. 不用 shenhe：解压后，在 allowed_signers 文件中加入县区提供的一行（shenhe key show --allowed-signers 的输出），然后运行\n\
                 \x20  ssh-keygen -Y verify -f allowed_signers -I {code} -n shenhe-bundle -s manifest.json.sig < manifest.json\n\
                 \x20  县区换过密钥（信任行带 valid-before）时，ssh-keygen 按当前时间判断旧密钥已失效；核对换钥前收到的包，加 -Overify-time=<收到时间，UTC，YYYYMMDDHHMMSSZ>。\n\
                 \x20  签名有效后，再用 sha256sum 逐个核对其余文件与 manifest.json 中的 sha256 是否一致。\n\
                 \x20  ssh-keygen 不认文件开头的 BOM：allowed_signers 若用 Windows 记事本保存，请选“UTF-8”而非“带有 BOM 的 UTF-8”，或让第一行是 # 开头的注释（shenhe 两种都认）。\n"
            ),
        ),
        Algorithm::Sm2 => {
            let id = key.signer().user_id.unwrap_or_else(|| sm2::DEFAULT_USER_ID.to_string());
            (
                "SM3",
                format!(
                    "- manifest.json.sm2.sig 对 manifest.json 的国密签名（SM2，杂凑 SM3，用户标识 {id}，DER 编码）"
                ),
                format!(
                    "2. 不用 shenhe（OpenSSL 3）：解压后，用县区提供的信任行（shenhe key show --allowed-signers 的输出）中 sm2 后面那段 base64 做出公钥文件：\n\
                     \x20  echo <那段 base64> | openssl base64 -d -A | openssl pkey -pubin -inform DER -out {code}_sm2.pub.pem\n\
                     \x20  然后核验签名（distid 一项不可省：OpenSSL 不给时用的不是 GM/T 0009 的默认用户标识）：\n\
                     \x20  openssl pkeyutl -verify -pubin -inkey {code}_sm2.pub.pem -rawin -in manifest.json -sigfile manifest.json.sm2.sig -digest sm3 -pkeyopt distid:{id}\n\
                     \x20  显示 Signature Verified Successfully 后，再用 openssl dgst -sm3 逐个核对其余文件与 manifest.json 中的 sm3 是否一致。\n"
                ),
            )
        }
    };
    let text = format!(
        "{area}（{code}）{period} 教育信息化数据审核上报包\n\
         \n\
         本包由 shenhe 导出并签名。包内文件：\n\
         - manifest.json        清单：县区、期次、上报次序、审核员、导出时间、是否在上报期内、各状态学校数、签名公钥，以及其余每个文件的字节数和 {hash}\n\
         {signature_line}\n\
         - schools.csv          各学校本期最新一次填报数据（含附加列）及审核状态\n\
         - findings.csv         审核发现的问题及说明\n\
         - returned.csv         退回重报的学校及原因\n\
         - review_log.csv       审核日志（谁在何时对哪所学校做了什么）\n\
         - statistics.csv       统计表（填报率、互联网接入率、带宽 100M 以上比例、多媒体教室比例）\n\
         - dispatch.csv         未联网、带宽不足 100M、无多媒体教室学校名单（半月调度表）\n\
         - county_tables.xlsx   以上两张表的 Excel 版\n\
         {city}\
         {report_text}\
         CSV 文件为 UTF-8（带 BOM），可直接用 Excel 打开。\n\
         \n\
         核验方法：\n\
         1. 用 shenhe：shenhe verify 本文件.zip（信任的公钥放在 allowed_signers 文件中）。\n\
         {stock_check}\
         任何文件被改动、删除或增加，核验都会失败。\n\
         \n\
         加密传送：导出时用 --to（或配置 [export] encrypt_to）指定上级的公钥，会另写一个 本文件.zip.age，\n\
         用 age 加密给上级，只有上级的私钥能打开，适合作为邮件附件。上级收到后 shenhe verify / city import 可直接读取 .zip.age；\n\
         不用 shenhe 时，先解密：age -d -i <上级的私钥文件> 本文件.zip.age > 本文件.zip，再按上面的方法核验。\n",
        code = h.county_code,
        period = h.period,
        hash = hash,
        signature_line = signature_line,
        stock_check = stock_check,
    );
    text.replace('\n', "\r\n")
}
